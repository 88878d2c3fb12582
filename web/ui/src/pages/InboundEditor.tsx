import { useState } from 'react'
import { Button, Modal, Form, Input, InputNumber, Select, Space, Switch, Tabs, App } from 'antd'
import { useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { api } from '../lib/api'
import { validPort, validShortId, validJSON, randomShortId, validQuotaGB, validSSKey, ssKeyBytes, randomBase64Key } from '../lib/validate'
import { serverError, needsAlert, type FieldError } from '../lib/serverError'
import CodeEditor from './CodeEditor'
import ServerErrorAlert from '../components/ServerErrorAlert'
import { defaults, fromInbound, toInbound, applyForm, ssKeyFor, protocols, networks, securities, fingerprints, ssMethods, type InboundFormValues } from './inboundModel'
import type { Inbound } from './Inbounds'

// Server field names (errs.Error) -> this form's fields.
const serverFields: Record<string, string> = {
  remark: 'remark', port: 'port', listen: 'listen', total: 'totalGB', protocol: 'protocol', tag: 'port',
  method: 'method', password: 'ssPassword', 'settings.password': 'ssPassword', 'settings.method': 'method',
  privateKey: 'privateKey', shortIds: 'shortIds', serverNames: 'serverNames', target: 'target',
}
type Cols = { settings: string; streamSettings: string; sniffing: string }
const pretty = (s: string) => { try { return JSON.stringify(JSON.parse(s), null, 2) } catch { return s } }
const rule = (t: (k: string) => string, check: (v: any) => string) => ({ validator: (_r: unknown, v: unknown) => (check(v) ? Promise.reject(new Error(t(check(v)))) : Promise.resolve()) })

// InboundEditor edits a copy of the stored inbound: the form changes only
// the fields it shows (applyForm), so a custom header, a v3 field or
// anything a 3x-ui database stored survives; Raw JSON shows the stored
// columns with the form's changes, not a rebuild from the form.
export default function InboundEditor({ editing, onClose }: { editing: Inbound | 'new'; onClose: () => void }) {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const qc = useQueryClient()
  const [form] = Form.useForm<InboundFormValues>()
  const isNew = editing === 'new'
  const [initial] = useState(() => (isNew ? defaults() : fromInbound(editing)))
  // stored: the object edits apply to (the server's, or the Raw JSON's
  // after the admin edited it); base: the form values read from it.
  const [stored, setStored] = useState<Record<string, any> | null>(() => (isNew ? null : { ...editing, clientStats: undefined }))
  const [base, setBase] = useState(initial)
  const [mode, setMode] = useState('form')
  const [raw, setRaw] = useState<Cols>({ settings: '', streamSettings: '', sniffing: '' })
  const [busy, setBusy] = useState(false)
  const [err, setErr] = useState<FieldError | null>(null)
  const protocol = Form.useWatch('protocol', form) ?? initial.protocol
  const network = Form.useWatch('network', form) ?? initial.network
  const security = Form.useWatch('security', form) ?? initial.security
  const method = Form.useWatch('method', form) ?? initial.method

  // current is the inbound the form describes now.
  const current = (): Record<string, any> => {
    const v = { ...base, ...form.getFieldsValue() }
    return stored ? applyForm(stored, base, v) : toInbound(v)
  }
  const switchMode = (m: string) => {
    if (m === 'json') {
      const c = current()
      const col = (k: keyof Cols) => (typeof c[k] === 'string' ? pretty(c[k]) : JSON.stringify(c[k] ?? {}, null, 2))
      setRaw({ settings: col('settings'), streamSettings: col('streamSettings'), sniffing: col('sniffing') })
    } else {
      for (const [k, s] of Object.entries(raw)) if (validJSON(s)) { setErr({ field: '', short: `${t('inbound.' + k.replace('Settings', '') + 'Json')}: ${t('v.json')}`, full: s }); return }
      const next = { ...current(), ...raw }
      const nb = fromInbound(next)
      setStored(next); setBase(nb); form.setFieldsValue(nb)
    }
    setErr(null)
    setMode(m)
  }
  const newKeys = async () => {
    try {
      const k = await api.get<{ privateKey: string; publicKey: string }>('server/getNewX25519Cert')
      form.setFieldsValue({ privateKey: k.privateKey, publicKey: k.publicKey })
    } catch (e) { message.error((e as Error).message) }
  }
  const save = async () => {
    setErr(null)
    try { await form.validateFields() } catch { return }
    let body = current()
    if (mode === 'json') {
      for (const [k, s] of Object.entries(raw)) if (validJSON(s)) { setErr({ field: '', short: `${t('inbound.' + k.replace('Settings', '') + 'Json')}: ${t('v.json')}`, full: s }); return }
      body = { ...body, ...raw }
    }
    setBusy(true)
    try {
      await api.post(isNew ? 'inbounds/add' : `inbounds/update/${editing.id}`, body)
      message.success(t('common.saved'))
      await qc.invalidateQueries({ queryKey: ['inbounds'] })
      onClose()
    } catch (e) {
      const fe = serverError((e as Error).message, serverFields)
      const atField = !!fe.field && !!form.getFieldInstance(fe.field as keyof InboundFormValues)
      if (atField) form.setFields([{ name: fe.field as keyof InboundFormValues, errors: [fe.short] }])
      setErr(needsAlert(fe, atField) ? fe : null)
    } finally { setBusy(false) }
  }
  const onValues = (ch: Partial<InboundFormValues>) => {
    if (ch.method) form.setFieldValue('ssPassword', ssKeyFor(ch.method, form.getFieldValue('ssPassword') ?? ''))
  }
  return (
    <Modal open title={t(isNew ? 'inbound.add' : 'inbound.edit')} onCancel={onClose} onOk={save} confirmLoading={busy} width={760}
      okText={t('common.save')} cancelText={t('common.cancel')} okButtonProps={{ id: 'inbound-save' }} destroyOnHidden>
      <ServerErrorAlert err={err} />
      <Form form={form} layout="vertical" initialValues={initial} preserve onValuesChange={onValues}>
        <Space wrap>
          <Form.Item name="remark" label={t('inbound.remark')} htmlFor="inb-remark"><Input id="inb-remark" /></Form.Item>
          <Form.Item name="protocol" label={t('inbound.protocol')} htmlFor="inb-protocol"><Select id="inb-protocol" style={{ width: 140 }} options={protocols.map((p) => ({ value: p, label: p }))} disabled={!isNew} /></Form.Item>
          <Form.Item name="listen" label={t('inbound.listen')}><Input style={{ width: 140 }} /></Form.Item>
          <Form.Item name="port" label={t('inbound.port')} htmlFor="inb-port" rules={[rule(t, validPort)]}>
            <InputNumber id="inb-port" style={{ width: 110 }} />
          </Form.Item>
          <Form.Item name="totalGB" label={t('inbound.totalGB')} rules={[rule(t, validQuotaGB)]}><InputNumber style={{ width: 120 }} /></Form.Item>
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
                {/* A stored key is not judged again (Xray does): an unchanged save stays possible. */}
                {protocol === 'shadowsocks' && ssKeyBytes(method) > 0 && <Space align="end" wrap>
                  <Form.Item name="ssPassword" label={t('form.ssServerKey', { n: ssKeyBytes(method) })} rules={[rule(t, (v) => (!isNew && v === base.ssPassword && method === base.method ? '' : validSSKey(method, v)))]}><Input style={{ width: 420 }} /></Form.Item>
                  <Form.Item><Button onClick={() => form.setFieldValue('ssPassword', randomBase64Key(ssKeyBytes(method)))}>{t('form.newKey')}</Button></Form.Item>
                </Space>}
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
                    <Form.Item name="shortIds" label={t('inbound.shortIds')} rules={[{ validator: (_r, v: string) => (v ?? '').split(',').some((x) => validShortId(x.trim())) ? Promise.reject(new Error(t('v.shortId'))) : Promise.resolve() }]}>
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
                <CodeEditor height={160} label={t('inbound.settingsJson')} value={raw.settings} onChange={(s) => setRaw((r) => ({ ...r, settings: s }))} />
                <div>{t('inbound.streamJson')}</div>
                <CodeEditor height={200} label={t('inbound.streamJson')} value={raw.streamSettings} onChange={(s) => setRaw((r) => ({ ...r, streamSettings: s }))} />
                <div>{t('inbound.sniffingJson')}</div>
                <CodeEditor height={80} label={t('inbound.sniffingJson')} value={raw.sniffing} onChange={(s) => setRaw((r) => ({ ...r, sniffing: s }))} />
              </>
            ),
          },
        ]} />
      </Form>
    </Modal>
  )
}
