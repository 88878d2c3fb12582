import { useState } from 'react'
import { Table, Button, Switch, Tag, Modal, Form, Input, InputNumber, Select, Space, Tabs, App, Popconfirm, Progress } from 'antd'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { api } from '../lib/api'
import { formatBytes, formatDate, usagePercent } from '../lib/format'
import { validPort, validShortId, validJSON, randomShortId } from '../lib/validate'
import { useReadOnly, useCan } from '../App'
import CodeEditor from './CodeEditor'
import { defaults, fromInbound, toInbound, protocols, networks, securities, fingerprints, ssMethods, streamOf, type InboundFormValues } from './inboundModel'

export interface Inbound {
  id: number; remark: string; enable: boolean; listen: string; port: number; protocol: string; up: number; down: number; total: number
  expiryTime: number; settings: string; streamSettings: string; sniffing: string; clientStats: unknown[] | null
}

function InboundEditor({ editing, onClose }: { editing: Inbound | null | 'new'; onClose: () => void }) {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const qc = useQueryClient()
  const [form] = Form.useForm<InboundFormValues>()
  const [mode, setMode] = useState('form')
  const [raw, setRaw] = useState({ settings: '', streamSettings: '', sniffing: '' })
  const [busy, setBusy] = useState(false)
  const isNew = editing === 'new'
  const orig = isNew ? null : (editing as Inbound)
  const initial = orig ? fromInbound(orig) : defaults()
  const protocol = Form.useWatch('protocol', form) ?? initial.protocol
  const network = Form.useWatch('network', form) ?? initial.network
  const security = Form.useWatch('security', form) ?? initial.security

  const keepClients = () => (orig ? JSON.parse(orig.settings || '{}').clients ?? [] : [])
  const switchMode = (m: string) => {
    const v = { ...initial, ...form.getFieldsValue() }
    if (m === 'json') {
      const b = toInbound(v, keepClients())
      setRaw({ settings: pretty(b.settings), streamSettings: pretty(b.streamSettings), sniffing: pretty(orig?.sniffing || b.sniffing) })
    }
    setMode(m)
  }
  const newKeys = async () => {
    try {
      const k = await api.get<{ privateKey: string; publicKey: string }>('server/getNewX25519Cert')
      form.setFieldsValue({ privateKey: k.privateKey, publicKey: k.publicKey })
    } catch (e) { message.error((e as Error).message) }
  }
  const save = async () => {
    let body: Record<string, unknown>
    const v = { ...initial, ...(await form.validateFields()) }
    if (mode === 'json') {
      for (const [k, s] of Object.entries(raw)) if (validJSON(s)) { message.error(`${k}: ${t('v.json')}`); return }
      body = { ...toInbound(v), settings: raw.settings, streamSettings: raw.streamSettings, sniffing: raw.sniffing }
    } else {
      body = toInbound(v, keepClients())
      if (orig) {
        const old = JSON.parse(orig.settings || '{}')
        body.settings = JSON.stringify({ ...old, ...JSON.parse(body.settings as string) })
        body.sniffing = orig.sniffing
      }
    }
    setBusy(true)
    try {
      await api.post(isNew ? 'inbounds/add' : `inbounds/update/${orig!.id}`, body)
      message.success(t('common.saved'))
      await qc.invalidateQueries({ queryKey: ['inbounds'] })
      onClose()
    } catch (e) { message.error((e as Error).message) } finally { setBusy(false) }
  }
  return (
    <Modal open title={t(isNew ? 'inbound.add' : 'inbound.edit')} onCancel={onClose} onOk={save} confirmLoading={busy} width={760}
      okText={t('common.save')} cancelText={t('common.cancel')} okButtonProps={{ id: 'inbound-save' }} destroyOnHidden>
      <Form form={form} layout="vertical" initialValues={initial} preserve>
        <Space wrap>
          <Form.Item name="remark" label={t('inbound.remark')} htmlFor="inb-remark"><Input id="inb-remark" /></Form.Item>
          <Form.Item name="protocol" label={t('inbound.protocol')} htmlFor="inb-protocol"><Select id="inb-protocol" style={{ width: 140 }} options={protocols.map((p) => ({ value: p, label: p }))} disabled={!isNew} /></Form.Item>
          <Form.Item name="listen" label={t('inbound.listen')}><Input style={{ width: 140 }} /></Form.Item>
          <Form.Item name="port" label={t('inbound.port')} htmlFor="inb-port" rules={[{ validator: (_r, v) => (validPort(v) ? Promise.reject(t(validPort(v))) : Promise.resolve()) }]}>
            <InputNumber id="inb-port" style={{ width: 110 }} />
          </Form.Item>
          <Form.Item name="totalGB" label={t('inbound.totalGB')}><InputNumber min={0} style={{ width: 120 }} /></Form.Item>
          <Form.Item name="enable" label={t('inbound.enabled')} valuePropName="checked"><Switch /></Form.Item>
        </Space>
        <Tabs activeKey={mode} onChange={switchMode} items={[
          {
            key: 'form', label: t('inbound.form'), children: (
              <>
                <Space wrap>
                  {protocol === 'shadowsocks' && <Form.Item name="method" label={t('inbound.method')}><Select style={{ width: 260 }} options={ssMethods.map((m) => ({ value: m, label: m }))} /></Form.Item>}
                  <Form.Item name="network" label={t('inbound.transport')} htmlFor="inb-network"><Select id="inb-network" style={{ width: 150 }} options={networks.map((n) => ({ value: n, label: n }))} /></Form.Item>
                  <Form.Item name="security" label={t('inbound.security')} htmlFor="inb-security"><Select id="inb-security" style={{ width: 130 }} options={securities.map((n) => ({ value: n, label: n, disabled: n === 'reality' && !['vless', 'trojan'].includes(protocol) }))} /></Form.Item>
                  {security !== 'none' && <Form.Item name="fingerprint" label={t('inbound.fingerprint')}><Select style={{ width: 130 }} options={fingerprints.map((n) => ({ value: n, label: n }))} /></Form.Item>}
                </Space>
                <Space wrap>
                  {['ws', 'httpupgrade', 'xhttp'].includes(network) && <>
                    <Form.Item name="path" label={t('inbound.path')}><Input /></Form.Item>
                    <Form.Item name="host" label={t('inbound.host')}><Input /></Form.Item></>}
                  {network === 'xhttp' && <Form.Item name="mode" label={t('inbound.mode')}><Select style={{ width: 150 }} options={['auto', 'packet-up', 'stream-up', 'stream-one'].map((n) => ({ value: n, label: n }))} /></Form.Item>}
                  {network === 'grpc' && <Form.Item name="serviceName" label={t('inbound.serviceName')}><Input /></Form.Item>}
                </Space>
                {security === 'tls' && <Space wrap>
                  <Form.Item name="sni" label={t('inbound.sni')}><Input /></Form.Item>
                  <Form.Item name="certFile" label={t('inbound.certFile')}><Input style={{ width: 240 }} /></Form.Item>
                  <Form.Item name="keyFile" label={t('inbound.keyFile')}><Input style={{ width: 240 }} /></Form.Item>
                </Space>}
                {security === 'reality' && <>
                  <Space wrap>
                    <Form.Item name="target" label={t('inbound.target')} htmlFor="inb-target"><Input id="inb-target" style={{ width: 220 }} /></Form.Item>
                    <Form.Item name="serverNames" label={t('inbound.serverNames')} htmlFor="inb-servernames"><Input id="inb-servernames" style={{ width: 260 }} /></Form.Item>
                    <Form.Item name="spiderX" label={t('inbound.spiderX')}><Input style={{ width: 100 }} /></Form.Item>
                  </Space>
                  <Form.Item name="privateKey" label={t('inbound.privateKey')} htmlFor="inb-privkey" rules={[{ required: true, message: t('v.required') }]}><Input id="inb-privkey" /></Form.Item>
                  <Form.Item name="publicKey" label={t('inbound.publicKey')} htmlFor="inb-pubkey" rules={[{ required: true, message: t('v.required') }]}><Input id="inb-pubkey" /></Form.Item>
                  <Space align="end">
                    <Form.Item name="shortIds" label={t('inbound.shortIds')} rules={[{ validator: (_r, v: string) => (v ?? '').split(',').some((x) => validShortId(x.trim())) ? Promise.reject(t('v.shortId')) : Promise.resolve() }]}>
                      <Input style={{ width: 300 }} />
                    </Form.Item>
                    <Form.Item><Button onClick={() => form.setFieldsValue({ shortIds: [randomShortId(8), randomShortId(4), randomShortId(16)].join(',') })}>{t('inbound.randomShortIds')}</Button></Form.Item>
                    <Form.Item><Button id="inb-newkeys" type="dashed" onClick={newKeys}>{t('inbound.newKeys')}</Button></Form.Item>
                  </Space>
                </>}
              </>
            ),
          },
          {
            key: 'json', label: t('inbound.rawJson'), children: (
              <>
                <div>{t('inbound.settingsJson')}</div>
                <CodeEditor height={160} value={raw.settings} onChange={(s) => setRaw((r) => ({ ...r, settings: s }))} />
                <div>{t('inbound.streamJson')}</div>
                <CodeEditor height={200} value={raw.streamSettings} onChange={(s) => setRaw((r) => ({ ...r, streamSettings: s }))} />
                <div>{t('inbound.sniffingJson')}</div>
                <CodeEditor height={80} value={raw.sniffing} onChange={(s) => setRaw((r) => ({ ...r, sniffing: s }))} />
              </>
            ),
          },
        ]} />
      </Form>
    </Modal>
  )
}

const pretty = (s: string) => { try { return JSON.stringify(JSON.parse(s), null, 2) } catch { return s } }
export const streamSummary = (inb: Inbound) => { try { const s = JSON.parse(inb.streamSettings || '{}'); return [s.network || 'tcp', s.security || 'none'] } catch { return ['?', '?'] } }
void streamOf

export default function Inbounds() {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const ro = useReadOnly()
  const canWrite = useCan('inbounds.write')
  const qc = useQueryClient()
  const [editing, setEditing] = useState<Inbound | null | 'new'>(null)
  const list = useQuery({ queryKey: ['inbounds'], queryFn: () => api.get<Inbound[]>('inbounds/list') })
  const run = async (p: Promise<unknown>) => {
    try { await p; await qc.invalidateQueries({ queryKey: ['inbounds'] }) } catch (e) { message.error((e as Error).message) }
  }
  const toggle = (inb: Inbound, on: boolean) => run(api.get<Inbound>(`inbounds/get/${inb.id}`).then((full) => api.post(`inbounds/update/${inb.id}`, { ...full, enable: on, clientStats: undefined })))
  return (
    <>
      <Space style={{ marginBottom: 12 }}>
        {canWrite && <Button type="primary" id="add-inbound" disabled={ro} onClick={() => setEditing('new')}>{t('inbound.add')}</Button>}
        <Button onClick={() => list.refetch()}>{t('common.refresh')}</Button>
      </Space>
      <Table<Inbound> rowKey="id" loading={list.isLoading} dataSource={list.data ?? []} size="middle" pagination={{ pageSize: 50 }} scroll={{ x: true }}
        columns={[
          { title: 'ID', dataIndex: 'id', width: 60 },
          { title: t('inbound.enabled'), render: (_, r) => <Switch size="small" aria-label={`${t('inbound.enabled')}: ${r.remark || r.id}`} checked={r.enable} disabled={ro || !canWrite} onChange={(on) => toggle(r, on)} /> },
          { title: t('inbound.remark'), dataIndex: 'remark' },
          { title: t('inbound.protocol'), dataIndex: 'protocol', render: (p) => <Tag>{p}</Tag> },
          { title: t('inbound.port'), dataIndex: 'port' },
          { title: t('inbound.transport'), render: (_, r) => streamSummary(r)[0] },
          { title: t('inbound.security'), render: (_, r) => streamSummary(r)[1] },
          { title: t('inbound.traffic'), render: (_, r) => <div style={{ minWidth: 140 }}>{formatBytes(r.up + r.down)} / {r.total ? formatBytes(r.total) : '∞'}{r.total > 0 && <Progress size="small" percent={usagePercent(r.up + r.down, r.total)} />}</div> },
          { title: t('inbound.expiry'), render: (_, r) => (r.expiryTime > 0 ? formatDate(r.expiryTime) : t('common.never')) },
          { title: t('inbound.clients'), render: (_, r) => r.clientStats?.length ?? 0 },
          {
            title: t('common.actions'), render: (_, r) => canWrite && (
              <Space>
                <Button size="small" disabled={ro} onClick={async () => setEditing(await api.get<Inbound>(`inbounds/get/${r.id}`))}>{t('common.edit')}</Button>
                <Popconfirm title={t('firstHour.deleteInbound', { name: r.remark || `#${r.id}` })} description={t('firstHour.deleteInboundClients', { n: r.clientStats?.length ?? 0 })}
                  okText={t('common.delete')} okButtonProps={{ danger: true }} cancelText={t('common.cancel')} onConfirm={() => run(api.post(`inbounds/del/${r.id}`))} disabled={ro}>
                  <Button size="small" danger disabled={ro}>{t('common.delete')}</Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]} />
      {editing && <InboundEditor editing={editing} onClose={() => setEditing(null)} />}
    </>
  )
}
