import { useState } from 'react'
import { Table, Select, Switch, Space, Tag, Typography, Card } from 'antd'
import { useQuery, keepPreviousData } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { api } from '../../lib/api'
import { formatDateTime } from '../../lib/format'
import { useWebhooks } from './shared'
import { kindKey, msTime, targetOf, type Delivery, type EventRow, type PageOf } from './model'

const REFRESH_MS = 5000
const statusColor: Record<string, string> = { pending: 'gold', delivered: 'green', failed: 'red' }

// DeliveryLog is the outbox's log (newest first, paged by the server,
// refreshed every few seconds while auto-refresh is on) and the recent
// events under it.
export default function DeliveryLog() {
  const { t } = useTranslation()
  const hooks = useWebhooks()
  const [auto, setAuto] = useState(true)
  const [target, setTarget] = useState('')
  const [status, setStatus] = useState('')
  const [page, setPage] = useState({ current: 1, pageSize: 20 })
  const [evPage, setEvPage] = useState({ current: 1, pageSize: 10 })
  const q = new URLSearchParams({ offset: String((page.current - 1) * page.pageSize), limit: String(page.pageSize) })
  if (target) q.set('webhookId', target)
  if (status) q.set('status', status)
  const deliveries = useQuery({ queryKey: ['deliveries', q.toString()], queryFn: () => api.get<PageOf<Delivery>>(`notify/deliveries?${q}`),
    placeholderData: keepPreviousData, refetchInterval: auto ? REFRESH_MS : false })
  const events = useQuery({ queryKey: ['events', evPage], queryFn: () => api.get<PageOf<EventRow>>(`notify/events?offset=${(evPage.current - 1) * evPage.pageSize}&limit=${evPage.pageSize}`),
    placeholderData: keepPreviousData, refetchInterval: auto ? REFRESH_MS : false })
  const targetLabel = (id: number) => {
    const n = targetOf(id, hooks.data ?? [])
    return n === 'email' ? t('notify.log.email') : n === 'telegram' ? t('notify.log.telegram') : n
  }
  const statusLabel = (s: string) => t(s === 'delivered' ? 'notify.log.deliveredStatus' : s === 'failed' ? 'notify.log.failed' : 'notify.log.pending')
  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }}>
      <Space wrap>
        <Select aria-label={t('notify.log.target')} value={target} onChange={(v) => { setTarget(v); setPage((p) => ({ ...p, current: 1 })) }} style={{ minWidth: 240 }}
          options={[{ value: '', label: t('notify.log.allTargets') }, { value: 'email', label: t('notify.log.email') }, { value: 'telegram', label: t('notify.log.telegram') },
            ...(hooks.data ?? []).map((h) => ({ value: String(h.id), label: h.url }))]} />
        <Select aria-label={t('notify.log.status')} value={status} onChange={(v) => { setStatus(v); setPage((p) => ({ ...p, current: 1 })) }} style={{ width: 160 }}
          options={[{ value: '', label: t('notify.log.allStatuses') }, ...['pending', 'delivered', 'failed'].map((s) => ({ value: s, label: statusLabel(s) }))]} />
        <Space><Switch checked={auto} onChange={setAuto} aria-label={t('notify.log.autoRefresh')} /><span>{t('notify.log.autoRefresh')}</span></Space>
      </Space>
      <Card size="small" title={t('notify.log.deliveries')}>
        <Table<Delivery> aria-label={t('notify.log.deliveries')} rowKey="id" size="small" loading={deliveries.isLoading} dataSource={deliveries.data?.items ?? []} scroll={{ x: true }}
          pagination={{ ...page, total: deliveries.data?.total ?? 0, showSizeChanger: true, showTotal: (n) => t('common.total', { n }) }}
          onChange={(p) => setPage({ current: p.current ?? 1, pageSize: p.pageSize ?? 20 })}
          columns={[
            { title: t('notify.log.created'), dataIndex: 'createdAt', render: msTime },
            { title: t('notify.log.kind'), dataIndex: 'kind', render: (k: string) => <span title={t(`notify.kinds.${kindKey(k)}`)}>{k}</span> },
            { title: t('notify.log.target'), dataIndex: 'webhookId', render: (id: number) => <Typography.Text style={{ wordBreak: 'break-all' }}>{targetLabel(id)}</Typography.Text> },
            { title: t('notify.log.status'), render: (_, d) => <span style={{ whiteSpace: 'nowrap' }}><Tag color={statusColor[d.status]}>{statusLabel(d.status)}</Tag>{d.lastStatus ? `HTTP ${d.lastStatus}` : ''}</span> },
            { title: t('notify.log.attempts'), dataIndex: 'attempts' },
            { title: t('notify.log.lastError'), dataIndex: 'lastError', render: (e: string) => <Typography.Text type="danger" style={{ wordBreak: 'break-all' }}>{e}</Typography.Text> },
            { title: t('notify.log.nextAttempt'), render: (_, d) => (d.status === 'pending' ? msTime(d.nextAttemptAt) : '') },
            { title: t('notify.log.delivered'), dataIndex: 'deliveredAt', render: msTime },
            { title: t('notify.log.eventId'), dataIndex: 'eventId', render: (id: string) => <Typography.Text code copyable={{ text: id }}>{id.slice(0, 12)}</Typography.Text> },
          ]} />
      </Card>
      <Card size="small" title={t('notify.log.events')}>
        <Table<EventRow> aria-label={t('notify.log.events')} rowKey="id" size="small" loading={events.isLoading} dataSource={events.data?.items ?? []} scroll={{ x: true }}
          pagination={{ ...evPage, total: events.data?.total ?? 0, showTotal: (n) => t('common.total', { n }) }}
          onChange={(p) => setEvPage({ current: p.current ?? 1, pageSize: p.pageSize ?? 10 })}
          columns={[
            { title: t('notify.log.time'), dataIndex: 'time', render: (v: string) => formatDateTime(Date.parse(v)) },
            { title: t('notify.log.kind'), dataIndex: 'kind', render: (k: string) => <span title={t(`notify.kinds.${kindKey(k)}`)}>{k}</span> },
            { title: t('notify.log.node'), dataIndex: 'nodeId' },
            { title: t('notify.log.payload'), dataIndex: 'payload', render: (p: unknown) => <Typography.Text code style={{ wordBreak: 'break-all' }}>{JSON.stringify(p)}</Typography.Text> },
            { title: t('notify.log.eventId'), dataIndex: 'id', render: (id: string) => <Typography.Text code copyable={{ text: id }}>{id.slice(0, 12)}</Typography.Text> },
          ]} />
      </Card>
    </Space>
  )
}
