import { memo, useCallback, useEffect, useMemo, useState, type Dispatch, type SetStateAction } from 'react'
import { Table, Button, Switch, Input, Select, Space, Modal, Form, InputNumber, DatePicker, App, Popconfirm, Typography, Radio } from 'antd'
import { useQuery, useQueryClient, keepPreviousData } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import QRCode from 'qrcode'
import { api } from '../lib/api'
import { formatBytes, formatDate, formatNumber, remaining, gbToBytes, bytesToGb } from '../lib/format'
import { validEmail, validTgId, randomUUID, randomPassword, validQuotaGB, validCount, validSSKey, ssKeyBytes, randomBase64Key } from '../lib/validate'
import { serverError, needsAlert, type FieldError } from '../lib/serverError'
import ServerErrorAlert from '../components/ServerErrorAlert'
import { shareLink, subscriptionLink } from '../lib/links'
import { useReadOnly, useCan } from '../App'
import type { ColumnsType, TableProps } from 'antd/es/table'
import { enableSwitch, onlineDot, usage, Actions, SelectionCtx, RowCheck, PageCheck } from './ClientCells'
import type { Inbound } from './Inbounds'
import { clientInitial, applyClientForm, storedClient, type ClientFormValues } from './clientModel'

interface Row { email: string; inboundId: number; inboundRemark: string; protocol: string; enable: boolean; up: number; down: number; total: number; expiryTime: number; reset: number; lastOnline: number; online: boolean }
interface Page { items: Row[]; total: number; page: number; pageSize: number }
interface Detail { inbound: Inbound; client: Record<string, any> }

// clients/get answers 3x-ui v3's {client, inboundIds, ...} plus the
// client's inbound holding only that client; the form edits the client as
// that inbound stores it (keys id/password, not v3's uuid).
async function getDetail(email: string): Promise<Detail> {
  const d = await api.get<{ inbound: Inbound; client: Record<string, any> }>(`clients/get/${encodeURIComponent(email)}`)
  const raw: unknown = d.inbound.settings
  const settings = typeof raw === 'string' ? JSON.parse(raw || '{}') : (raw ?? {})
  const stored = (settings.clients ?? [])[0]
  return { inbound: d.inbound, client: stored ?? d.client }
}
// Server field names (errs.Error, JSON decode errors) -> this form's fields.
const serverFields: Record<string, string> = {
  email: 'email', totalGB: 'quotaGB', total: 'quotaGB', id: 'id', password: 'password', flow: 'flow', limitIp: 'limitIp',
  reset: 'reset', subId: 'subId', tgId: 'tgId', comment: 'comment', expiryTime: 'expiryMode', inboundId: 'inboundId', id_inbound: 'inboundId',
}
const rule = (t: (k: string) => string, check: (v: any) => string) => ({ validator: (_r: unknown, v: unknown) => (check(v) ? Promise.reject(new Error(t(check(v)))) : Promise.resolve()) })
const methodOf = (inb?: { settings?: unknown }) => { try { const s = typeof inb?.settings === 'string' ? JSON.parse(inb.settings) : inb?.settings; return String(s?.method ?? '') } catch { return '' } }

const keyOf = (protocol: string, c: Record<string, any>) => (protocol === 'trojan' ? c.password : protocol === 'shadowsocks' ? c.email : c.id)

function useInboundOptions(enabled: boolean) {
  return useQuery({ queryKey: ['inbounds'], queryFn: () => api.get<Inbound[]>('inbounds/list'), enabled, staleTime: 30000 })
}

function ClientForm({ edit, onClose }: { edit: Detail | 'new'; onClose: () => void }) {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const qc = useQueryClient()
  const isNew = edit === 'new'
  const inbounds = useInboundOptions(true)
  const [form] = Form.useForm()
  const inboundId = Form.useWatch('inboundId', form)
  const inb = isNew ? inbounds.data?.find((i) => i.id === inboundId) : (edit as Detail).inbound
  const protocol = inb?.protocol
  // Shadowsocks-2022 users need a base64 key of the method's size, not a password.
  const ssBytes = protocol === 'shadowsocks' ? ssKeyBytes(methodOf(inb)) : 0
  const [err, setErr] = useState<FieldError | null>(null)
  const [c] = useState<Record<string, any>>(() => (isNew ? { email: '', id: randomUUID(), password: randomPassword(), flow: '', totalGB: 0, expiryTime: 0, limitIp: 0, subId: randomPassword(16).toLowerCase(), reset: 0, comment: '', enable: true } : storedClient(edit as Detail)))
  const [initial] = useState(() => clientInitial(c, isNew ? undefined : (edit as Detail).inbound.id))
  const mode = Form.useWatch('expiryMode', form) ?? initial.expiryMode
  useEffect(() => {
    if (isNew && ssBytes && validSSKey(methodOf(inb), form.getFieldValue('password'))) form.setFieldValue('password', randomBase64Key(ssBytes))
  }, [isNew, ssBytes, inb, form])
  const save = async () => {
    setErr(null)
    let v: ClientFormValues
    try { v = await form.validateFields() } catch { return }
    const client = applyClientForm(c, initial, v as ClientFormValues, protocol ?? '', isNew)
    try {
      const settings = JSON.stringify({ clients: [client] })
      if (isNew) await api.post('inbounds/addClient', { id: v.inboundId, settings })
      else await api.post(`inbounds/updateClient/${encodeURIComponent(keyOf(protocol!, c))}`, { id: (edit as Detail).inbound.id, settings })
      message.success(t('common.saved'))
      await qc.invalidateQueries({ queryKey: ['clients'] })
      onClose()
    } catch (e) {
      const fe = serverError((e as Error).message, serverFields)
      const atField = !!fe.field && !!form.getFieldInstance(fe.field)
      if (atField) form.setFields([{ name: fe.field, errors: [fe.short] }])
      setErr(needsAlert(fe, atField) ? fe : null)
    }
  }
  return (
    <Modal open title={t(isNew ? 'client.add' : 'client.edit')} onOk={save} onCancel={onClose} okText={t('common.save')} cancelText={t('common.cancel')} okButtonProps={{ id: 'client-save' }} width={640}>
      <ServerErrorAlert err={err} />
      <Form form={form} layout="vertical" initialValues={initial}>
        <Form.Item name="inboundId" label={t('client.inbound')} htmlFor="client-inbound" rules={[{ required: true, message: t('v.required') }]}>
          <Select id="client-inbound" disabled={!isNew} loading={inbounds.isLoading} options={(inbounds.data ?? []).map((i) => ({ value: i.id, label: `${i.remark || i.id} (${i.protocol}:${i.port})` }))} />
        </Form.Item>
        <Space wrap>
          <Form.Item name="email" label={t('client.email')} htmlFor="client-email" rules={[{ validator: (_r, v) => (validEmail(v ?? '') ? Promise.reject(t(validEmail(v ?? ''))) : Promise.resolve()) }]}><Input id="client-email" /></Form.Item>
          {protocol === 'trojan' || protocol === 'shadowsocks'
            ? <Form.Item name="password" label={ssBytes ? t('form.ssClientKey', { n: ssBytes }) : t('client.password')} rules={ssBytes ? [rule(t, (v) => (!isNew && v === initial.password ? '' : validSSKey(methodOf(inb), v)))] : []}>
              <Input style={{ width: ssBytes ? 420 : undefined }} addonAfter={<Button type="link" size="small" id="client-gen-password" onClick={() => form.setFieldValue('password', ssBytes ? randomBase64Key(ssBytes) : randomPassword())}>{t('common.generate')}</Button>} /></Form.Item>
            : <Form.Item name="id" label={t('client.id')}><Input style={{ width: 'min(360px, calc(100vw - 96px))' }} addonAfter={<Button type="link" size="small" id="client-gen-id" onClick={() => form.setFieldValue('id', randomUUID())}>{t('common.generate')}</Button>} /></Form.Item>}
          {protocol === 'vless' && <Form.Item name="flow" label={t('client.flow')}><Select style={{ width: 200 }} options={[{ value: '', label: 'none' }, { value: 'xtls-rprx-vision', label: 'xtls-rprx-vision' }]} /></Form.Item>}
        </Space>
        <Space wrap>
          <Form.Item name="quotaGB" label={t('client.quota')} htmlFor="client-quota" rules={[rule(t, validQuotaGB)]}><InputNumber id="client-quota" /></Form.Item>
          <Form.Item name="limitIp" label={t('client.limitIp')} rules={[rule(t, validCount)]}><InputNumber /></Form.Item>
          <Form.Item name="reset" label={t('client.reset')} rules={[rule(t, validCount)]}><InputNumber /></Form.Item>
          <Form.Item name="enable" label={t('common.enable')} valuePropName="checked"><Switch /></Form.Item>
        </Space>
        <Space wrap>
          <Form.Item name="expiryMode" label={t('client.expiryMode')}>
            <Radio.Group options={[{ value: 'never', label: t('common.never') }, { value: 'date', label: t('client.expiryDate') }, { value: 'after', label: t('client.afterFirstUse') }]} />
          </Form.Item>
          {mode === 'date' && <Form.Item name="expiryDate" label={t('client.expiryDate')} rules={[{ required: true, message: t('v.required') }]}><DatePicker showTime /></Form.Item>}
          {mode === 'after' && <Form.Item name="afterDays" label={t('client.afterFirstUse')}><InputNumber min={1} /></Form.Item>}
        </Space>
        <Space wrap>
          <Form.Item name="subId" label={t('client.subId')}><Input /></Form.Item>
          <Form.Item name="comment" label={t('client.comment')}><Input /></Form.Item>
          <Form.Item name="tgId" label={t('client.tgId')} tooltip={t('client.tgIdHelp')} rules={[{ validator: (_r, v) => (validTgId(v) ? Promise.reject(t(validTgId(v))) : Promise.resolve()) }]}><Input inputMode="numeric" style={{ width: 200 }} /></Form.Item>
        </Space>
      </Form>
    </Modal>
  )
}

function AddMany({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const qc = useQueryClient()
  const inbounds = useInboundOptions(true)
  const [form] = Form.useForm()
  const save = async () => {
    const v = await form.validateFields()
    try {
      const r = await api.post<{ emails: string[] }>('clients/addMany', { inboundId: v.inboundId, prefix: v.prefix, count: v.count, totalGB: gbToBytes(v.quotaGB ?? 0), expiryTime: v.days ? -v.days * 86400000 : 0 })
      message.success(t('client.added', { n: r.emails.length }))
      await qc.invalidateQueries({ queryKey: ['clients'] })
      onClose()
    } catch (e) { message.error((e as Error).message) }
  }
  return (
    <Modal open title={t('client.addMany')} onOk={save} onCancel={onClose} okButtonProps={{ id: 'addmany-save' }} okText={t('common.add')} cancelText={t('common.cancel')}>
      <Form form={form} layout="vertical" initialValues={{ prefix: 'user-', count: 10, quotaGB: 0, days: 0 }}>
        <Form.Item name="inboundId" label={t('client.inbound')} htmlFor="addmany-inbound" rules={[{ required: true, message: t('v.required') }]}>
          <Select id="addmany-inbound" options={(inbounds.data ?? []).map((i) => ({ value: i.id, label: `${i.remark || i.id} (${i.protocol}:${i.port})` }))} />
        </Form.Item>
        <Form.Item name="prefix" label={t('client.prefix')} htmlFor="addmany-prefix"><Input id="addmany-prefix" /></Form.Item>
        <Form.Item name="count" label={t('client.count')} htmlFor="addmany-count"><InputNumber id="addmany-count" min={1} max={5000} /></Form.Item>
        <Form.Item name="quotaGB" label={t('client.quota')} rules={[rule(t, validQuotaGB)]}><InputNumber /></Form.Item>
        <Form.Item name="days" label={t('client.afterFirstUse')} rules={[rule(t, validCount)]}><InputNumber /></Form.Item>
      </Form>
    </Modal>
  )
}

function Share({ email, onClose }: { email: string; onClose: () => void }) {
  const { t } = useTranslation()
  const [qr, setQr] = useState('')
  const d = useQuery({ queryKey: ['client', email], queryFn: () => getDetail(email) })
  const s = useQuery({ queryKey: ['settings'], queryFn: () => api.get<Record<string, any>>('setting/all') })
  const host = window.location.hostname
  const link = d.data ? shareLink(d.data.inbound, d.data.client as any, d.data.inbound.listen && d.data.inbound.listen !== '0.0.0.0' ? d.data.inbound.listen : host) : ''
  const sub = d.data && s.data?.subEnable && d.data.client.subId ? subscriptionLink(d.data.client.subId, s.data.subDomain || host, s.data.subPort, s.data.subPath) : ''
  useEffect(() => { if (link) void QRCode.toDataURL(link, { width: 260, margin: 1 }).then(setQr) }, [link])
  return (
    <Modal open title={`${t('client.share')}: ${email}`} onCancel={onClose} footer={null} width={560}>
      {qr && <img id="client-qr" src={qr} alt={t('client.qr')} width={260} height={260} />}
      <Typography.Paragraph><b>{t('client.link')}</b></Typography.Paragraph>
      <Typography.Paragraph id="share-link" copyable style={{ wordBreak: 'break-all' }}>{link}</Typography.Paragraph>
      {sub && <><Typography.Paragraph><b>{t('client.subLink')}</b></Typography.Paragraph>
        <Typography.Paragraph id="sub-link" copyable style={{ wordBreak: 'break-all' }}>{sub}</Typography.Paragraph></>}
    </Modal>
  )
}

type Query = { page: number; pageSize: number; search: string; filter: string; protocol: string; sort: string; order: string }

// Toolbar is memoized: a page change or a fetch tick leaves it alone.
const Toolbar = memo(function Toolbar({ ro, searchText, setSearchText, filter, protocol, setQ, selected, bulk, onAdd, onAddMany }: {
  ro: boolean; searchText: string; setSearchText: (s: string) => void; filter: string; protocol: string
  setQ: Dispatch<SetStateAction<Query>>; selected: string[]; bulk: (action: string, emails: string[], days?: number) => void
  onAdd: () => void; onAddMany: () => void
}) {
  const { t } = useTranslation()
  const canWrite = useCan('clients.write'), canReset = useCan('clients.reset')
  const [extendDays, setExtendDays] = useState(30)
  return (
    <Space wrap style={{ marginBottom: 12 }}>
      {canWrite && <Button type="primary" id="add-client" disabled={ro} onClick={onAdd}>{t('client.add')}</Button>}
      {canWrite && <Button id="add-many" disabled={ro} onClick={onAddMany}>{t('client.addMany')}</Button>}
      <Input.Search id="client-search" aria-label={t('common.search')} allowClear placeholder={t('common.search')} value={searchText} onChange={(e) => setSearchText(e.target.value)} style={{ width: 220 }} />
      <Select aria-label={t('client.filter')} value={filter} style={{ width: 140 }} onChange={(filter) => setQ((o) => ({ ...o, filter, page: 1 }))}
        options={[{ value: '', label: t('common.all') }, ...['online', 'depleted', 'expiring', 'disabled'].map((f) => ({ value: f, label: t(`client.f${f[0].toUpperCase()}${f.slice(1)}`) }))]} />
      <Select aria-label={t('inbound.protocol')} value={protocol} style={{ width: 140 }} onChange={(protocol) => setQ((o) => ({ ...o, protocol, page: 1 }))}
        options={[{ value: '', label: t('common.all') }, ...['vless', 'vmess', 'trojan', 'shadowsocks'].map((p) => ({ value: p, label: p }))]} />
      {selected.length > 0 && canWrite && <>
        <span>{t('common.selected', { n: selected.length })}</span>
        <Button disabled={ro} onClick={() => bulk('enable', selected)}>{t('common.enable')}</Button>
        <Button disabled={ro} onClick={() => bulk('disable', selected)}>{t('common.disable')}</Button>
        {canReset && <Button disabled={ro} onClick={() => bulk('reset', selected)}>{t('common.reset')}</Button>}
        <InputNumber aria-label={t('client.extendDays')} min={1} value={extendDays} onChange={(v) => setExtendDays(v ?? 30)} addonAfter={t('common.days')} style={{ width: 130 }} />
        <Button disabled={ro} onClick={() => bulk('extend', selected, extendDays)}>{t('common.extend')}</Button>
        <Popconfirm title={t('firstHour.deleteClients', { n: selected.length })} okText={t('common.delete')} okButtonProps={{ danger: true }} cancelText={t('common.cancel')} onConfirm={() => bulk('delete', selected)}><Button danger disabled={ro} id="bulk-delete">{t('common.delete')}</Button></Popconfirm>
      </>}
    </Space>
  )
})

const EMPTY: Row[] = []
// Typing is debounced so one search is sent per pause, not per key.
const SEARCH_DEBOUNCE_MS = 50

export default function Clients() {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const ro = useReadOnly()
  const canWrite = useCan('clients.write'), canReset = useCan('clients.reset')
  const qc = useQueryClient()
  const [q, setQ] = useState<Query>({ page: 1, pageSize: 50, search: '', filter: '', protocol: '', sort: '', order: '' })
  const [searchText, setSearchText] = useState('')
  const [selected, setSelected] = useState<string[]>([])
  const [edit, setEdit] = useState<Detail | 'new' | null>(null)
  const [many, setMany] = useState(false)
  const [share, setShare] = useState('')
  useEffect(() => { const h = setTimeout(() => setQ((o) => (o.search === searchText ? o : { ...o, search: searchText, page: 1 })), SEARCH_DEBOUNCE_MS); return () => clearTimeout(h) }, [searchText])
  const params = new URLSearchParams(Object.entries(q).filter(([, v]) => v !== '' && v !== undefined).map(([k, v]) => [k, String(v)]))
  const list = useQuery({ queryKey: ['clients', q], queryFn: () => api.get<Page>(`clients/list/paged?${params}`), placeholderData: keepPreviousData, refetchInterval: 10000 })
  // Stable callbacks and columns: the table's rows re-render only when
  // their record changes, not on each keystroke, selection or fetch state.
  const bulk = useCallback(async (action: string, emails: string[], days?: number) => {
    try {
      const r = await api.post<{ count: number }>('clients/bulk', { action, emails, days })
      message.success(t('client.bulkDone', { n: r.count }))
      setSelected([])
      await qc.invalidateQueries({ queryKey: ['clients'] })
    } catch (e) { message.error((e as Error).message) }
  }, [message, t, qc])
  const openEdit = useCallback(async (email: string) => {
    try { setEdit(await getDetail(email)) } catch (e) { message.error((e as Error).message) }
  }, [message])
  const columns = useMemo<ColumnsType<Row>>(() => {
    const labels = { edit: t('common.edit'), share: t('client.share'), reset: t('common.reset'), del: t('common.delete'), confirm: (email: string) => t('firstHour.deleteClient', { name: email }) }
    const onReset = (email: string) => bulk('reset', [email])
    const onDelete = (email: string) => bulk('delete', [email])
    const enableLabel = t('common.enable'), onlineLabel = t('client.online'), offlineLabel = `${t('client.online')}: ${t('common.no')}`
    return [
      { title: <PageCheck label={t('common.all')} />, key: 'select', width: 32, render: (_, r) => <RowCheck email={r.email} /> },
      { title: enableLabel, key: 'enable', render: (_, r) => enableSwitch({ on: r.enable, disabled: ro || !canWrite, label: enableLabel, onToggle: (on) => bulk(on ? 'enable' : 'disable', [r.email]) }) },
      { title: onlineLabel, key: 'online', render: (_, r) => onlineDot({ on: r.online, label: r.online ? onlineLabel : offlineLabel }) },
      { title: t('client.email'), key: 'email', dataIndex: 'email', sorter: true },
      { title: t('client.inbound'), key: 'inbound', sorter: true, render: (_, r) => `${r.inboundRemark || r.inboundId} (${r.protocol})` },
      { title: t('client.usage'), key: 'usage', sorter: true, render: (_, r) => usage({ used: r.up + r.down, total: r.total }) },
      { title: t('client.remaining'), key: 'remaining', render: (_, r) => (r.total > 0 ? formatBytes(Math.max(0, r.total - r.up - r.down)) : t('common.unlimited')) },
      { title: t('client.expiry'), key: 'expiryTime', sorter: true, render: (_, r) => r.expiryTime === 0 ? t('common.never') : r.expiryTime < 0 ? `${formatNumber(Math.round(-r.expiryTime / 86400000))} ${t('common.days')}` : <span title={formatDate(r.expiryTime)}>{remaining(r.expiryTime) === 'expired' ? t('client.expired') : remaining(r.expiryTime)}</span> },
      { title: t('common.actions'), key: 'actions', render: (_, r) => <Actions email={r.email} ro={ro} canWrite={canWrite} canReset={canReset} labels={labels} onEdit={openEdit} onShare={setShare} onReset={onReset} onDelete={onDelete} /> },
    ]
  }, [t, ro, canWrite, canReset, bulk, openEdit])
  const total = list.data?.total ?? 0
  const pagination = useMemo(() => ({ current: q.page, pageSize: q.pageSize, total, showSizeChanger: true, pageSizeOptions: [20, 50, 100, 200], showTotal: (n: number) => t('common.total', { n }) }), [q.page, q.pageSize, total, t])
  const onAdd = useCallback(() => setEdit('new'), [])
  const onAddMany = useCallback(() => setMany(true), [])
  const onTableChange = useCallback<NonNullable<TableProps<Row>['onChange']>>((p, _f, sorter) => {
    const s = Array.isArray(sorter) ? sorter[0] : sorter
    setQ((o) => ({ ...o, page: p.current ?? 1, pageSize: p.pageSize ?? 50, sort: s?.order ? String(s.columnKey) : '', order: s?.order ?? '' }))
  }, [])
  const loading = list.isFetching && !list.data
  const items = list.data?.items ?? EMPTY
  const pageEmails = useMemo(() => items.map((r) => r.email), [items])
  const selection = useMemo(() => {
    const set = new Set(selected)
    return {
      selected: set, page: pageEmails,
      // As antd's rowSelection did: a change keeps only this page's rows.
      toggle: (email: string, on: boolean) => setSelected(pageEmails.filter((e) => (e === email ? on : set.has(e)))),
      all: (on: boolean) => setSelected(on ? [...pageEmails] : []),
    }
  }, [selected, pageEmails])
  // The same element while its inputs are the same: typing in the search
  // box re-renders the page, not the table.
  const table = useMemo(() => (
    // Own scroll box rather than scroll.x: antd measures the scroll width
    // for its shadows after every data change, a forced layout of the table.
    <div className="xui-table-scroll">
      <Table<Row> rowKey="email" size="small" loading={loading} dataSource={items}
        pagination={pagination} onChange={onTableChange} columns={columns} />
    </div>
  ), [loading, items, pagination, onTableChange, columns])
  return (
    <>
      <Toolbar ro={ro} searchText={searchText} setSearchText={setSearchText} filter={q.filter} protocol={q.protocol} setQ={setQ}
        selected={selected} bulk={bulk} onAdd={onAdd} onAddMany={onAddMany} />
      <SelectionCtx.Provider value={selection}>{table}</SelectionCtx.Provider>
      {edit && <ClientForm edit={edit} onClose={() => setEdit(null)} />}
      {many && <AddMany onClose={() => setMany(false)} />}
      {share && <Share email={share} onClose={() => setShare('')} />}
    </>
  )
}
