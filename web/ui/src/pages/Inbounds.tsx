import { useState } from 'react'
import { Table, Button, Switch, Tag, Space, App, Popconfirm, Progress } from 'antd'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { api } from '../lib/api'
import { formatBytes, formatDate, formatNumber, formatPercent, usagePercent } from '../lib/format'
import { validPort, validShortId, validJSON, randomShortId } from '../lib/validate'
import { useReadOnly, useCan } from '../App'
import InboundEditor from './InboundEditor'

export interface Inbound {
  id: number; remark: string; enable: boolean; listen: string; port: number; protocol: string; up: number; down: number; total: number
  expiryTime: number; settings: string; streamSettings: string; sniffing: string; clientStats: unknown[] | null
}

export const streamSummary = (inb: Inbound) => { try { const s = JSON.parse(inb.streamSettings || '{}'); return [s.network || 'tcp', s.security || 'none'] } catch { return ['?', '?'] } }

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
          { title: t('inbound.traffic'), render: (_, r) => <div style={{ minWidth: 140 }}>{formatBytes(r.up + r.down)} / {r.total ? formatBytes(r.total) : '∞'}{r.total > 0 && <Progress size="small" percent={usagePercent(r.up + r.down, r.total)} format={(p) => formatPercent(p ?? 0)} />}</div> },
          { title: t('inbound.expiry'), render: (_, r) => (r.expiryTime > 0 ? formatDate(r.expiryTime) : t('common.never')) },
          { title: t('inbound.clients'), render: (_, r) => formatNumber(r.clientStats?.length ?? 0) },
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
