import { useState } from 'react'
import { Card, Table, Input, Button, Space, DatePicker, Tag, Typography } from 'antd'
import { useQuery } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import type { Dayjs } from 'dayjs'
import { api } from '../lib/api'
import { formatDateTime } from '../lib/format'

// AuditRow is one row of GET panel/api/audit (docs/audit.md).
export interface AuditRow {
  id: number; at: number; actorKind: string; actorId: string; actorName: string; role: string; tokenId: number
  sourceIp: string; nodeId: string; route: string; action: string; targetKind: string; targetId: string; changes: string
}
interface AuditPage { total: number; page: number; size: number; items: AuditRow[] }
interface Change { field: string; before?: unknown; after?: unknown }

interface Filters { actor: string; action: string; target: string; q: string; range: [Dayjs | null, Dayjs | null] | null }
const empty: Filters = { actor: '', action: '', target: '', q: '', range: null }

function query(f: Filters, page: number, size: number): string {
  const p = new URLSearchParams({ page: String(page), size: String(size) })
  for (const k of ['actor', 'action', 'target', 'q'] as const) if (f[k].trim()) p.set(k, f[k].trim())
  if (f.range?.[0]) p.set('from', String(f.range[0].startOf('day').valueOf()))
  if (f.range?.[1]) p.set('to', String(f.range[1].endOf('day').valueOf() + 1))
  return p.toString()
}

const show = (v: unknown) => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v))

// Changes lists one row's fields with their values before and after.
function Changes({ text }: { text: string }) {
  const { t } = useTranslation()
  let list: Change[] = []
  try { list = JSON.parse(text) ?? [] } catch { /* shown empty */ }
  if (list.length === 0) return <Typography.Text type="secondary">{t('audit.noChanges')}</Typography.Text>
  return (
    <Table<Change> size="small" rowKey={(c, i) => `${c.field}#${i}`} pagination={false} dataSource={list} aria-label={t('audit.changes')}
      columns={[
        { title: t('audit.field'), dataIndex: 'field' },
        { title: t('audit.before'), render: (_, c) => <code>{show(c.before)}</code> },
        { title: t('audit.after'), render: (_, c) => <code>{show(c.after)}</code> },
      ]} />
  )
}

export default function Audit() {
  const { t } = useTranslation()
  const [draft, setDraft] = useState<Filters>(empty)
  const [filters, setFilters] = useState<Filters>(empty)
  const [page, setPage] = useState(1)
  const [size, setSize] = useState(50)
  const q = useQuery({ queryKey: ['audit', filters, page, size], queryFn: () => api.get<AuditPage>('audit?' + query(filters, page, size)) })
  const apply = () => { setFilters(draft); setPage(1) }
  const input = (k: 'actor' | 'action' | 'target' | 'q', width = 160) => (
    <Input aria-label={t(`audit.${k}`)} placeholder={t(`audit.${k}`)} value={draft[k]} style={{ width }} allowClear
      onChange={(e) => setDraft({ ...draft, [k]: e.target.value })} onPressEnter={apply} />
  )
  return (
    <Card title={t('audit.title')}>
      <Space style={{ marginBottom: 12 }} wrap>
        {input('actor')}{input('action')}{input('target')}{input('q', 220)}
        <DatePicker.RangePicker aria-label={t('audit.range')} value={draft.range} onChange={(r) => setDraft({ ...draft, range: r as Filters['range'] })} />
        <Button type="primary" onClick={apply}>{t('audit.apply')}</Button>
        <Button onClick={() => { setDraft(empty); setFilters(empty); setPage(1) }}>{t('audit.clear')}</Button>
        <Button onClick={() => void q.refetch()}>{t('common.refresh')}</Button>
      </Space>
      {q.error && <Typography.Text type="danger" role="alert">{(q.error as Error).message}</Typography.Text>}
      <Table<AuditRow> id="audit-table" rowKey="id" size="small" loading={q.isLoading} dataSource={q.data?.items ?? []} scroll={{ x: 1400 }}
        expandable={{ expandedRowRender: (r) => <Changes text={r.changes} /> }}
        pagination={{ current: page, pageSize: size, total: q.data?.total ?? 0, showSizeChanger: true, pageSizeOptions: [20, 50, 100, 200],
          showTotal: (n) => t('common.total', { n }), onChange: (p, s) => { setPage(s === size ? p : 1); setSize(s) } }}
        columns={[
          { title: t('audit.time'), dataIndex: 'at', width: 170, render: (v: number) => formatDateTime(v) },
          { title: t('audit.actor'), width: 190, render: (_, r) => <Space size={4}><Tag>{t(`audit.kind.${r.actorKind}`, { defaultValue: r.actorKind })}</Tag>{r.actorName || r.actorId}{r.tokenId ? ` (${t('audit.token')} #${r.tokenId})` : ''}</Space> },
          { title: t('audit.role'), dataIndex: 'role', width: 80 },
          { title: t('audit.ip'), dataIndex: 'sourceIp', width: 130 },
          { title: t('audit.node'), dataIndex: 'nodeId', width: 100, ellipsis: true },
          { title: t('audit.action'), dataIndex: 'action', width: 220, render: (v: string) => <code>{v}</code> },
          { title: t('audit.target'), ellipsis: true, width: 200, render: (_, r) => `${r.targetKind}${r.targetId ? ' ' + r.targetId : ''}` },
          { title: t('audit.route'), dataIndex: 'route', ellipsis: true, render: (v: string) => <Typography.Text type="secondary" style={{ fontSize: 12 }}>{v}</Typography.Text> },
        ]} />
    </Card>
  )
}
