import { useEffect, useState } from 'react'
import { Tabs, Card, Form, Input, InputNumber, Switch, Button, App, Table, Space, Typography, Alert, Upload, Popconfirm, Select, Tag } from 'antd'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import type { TFunction } from 'i18next'
import firsthour from '../locales/firsthour.en'
import { useNavigate, useParams } from 'react-router'
import QRCode from 'qrcode'
import { serverError } from '../lib/serverError'
import { api, request } from '../lib/api'
import { formatDateTime } from '../lib/format'
import { basePath } from '../lib/base'
import { validJSON } from '../lib/validate'
import { useReadOnly, useCan, useMe } from '../App'
import CodeEditor from './CodeEditor'
import PanelNetwork from './PanelNetwork'
import { isNetKey } from '../lib/panel'
import ClashTemplate from './ClashTemplate'

type Settings = Record<string, string | number | boolean>

// settingLabel and settingHelp are a setting's readable name and help
// (locales skey.<key>); a key the UI does not know yet shows as itself.
function settingLabel(t: TFunction, k: string): string { return t(`skey.${k}.label`, { defaultValue: k }) }
// keyOrder groups related settings as the locale lists them (path beside its switch).
function keyOrder(k: string): number { const i = KEY_ORDER.indexOf(k); return i < 0 ? KEY_ORDER.length : i }
const KEY_ORDER = Object.keys(firsthour.skey)
function settingHelp(t: TFunction, k: string): string { return t(`skey.${k}.help`, { defaultValue: t('skey.unknown', { key: k }) }) }

// KeyForm renders every setting whose key passes pick, typed by its value.
function KeyForm({ all, pick, id }: { all: Settings; pick: (k: string) => boolean; id: string }) {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const canWrite = useCan('settings.write')
  const ro = useReadOnly() || !canWrite
  const qc = useQueryClient()
  const keys = Object.keys(all).filter(pick).sort((a, b) => keyOrder(a) - keyOrder(b) || a.localeCompare(b))
  if (keys.length === 0) return <Alert type="info" title={t('settings.noSubKeys')} />
  const save = async (v: Settings) => {
    try { await api.post('setting/update', v); message.success(t('common.saved')); await qc.invalidateQueries({ queryKey: ['settings'] }) } catch (e) { message.error((e as Error).message) }
  }
  return (
    <Form layout="vertical" initialValues={all} onFinish={save} id={id} disabled={ro}>
      {keys.map((k) => (
        <Form.Item key={k} name={k} label={settingLabel(t, k)} extra={settingHelp(t, k)} valuePropName={typeof all[k] === 'boolean' ? 'checked' : 'value'}>
          {typeof all[k] === 'boolean' ? <Switch /> : typeof all[k] === 'number' ? <InputNumber style={{ width: 200 }} /> : <Input />}
        </Form.Item>
      ))}
      {canWrite && <Button type="primary" htmlType="submit">{t('common.save')}</Button>}
    </Form>
  )
}

function Account() {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const ro = useReadOnly()
  const [form] = Form.useForm()
  const submit = async (v: Record<string, string>) => {
    try { await api.post('setting/updateUser', v); message.success(t('common.saved')); window.location.assign(basePath() + 'login') } catch (e) {
      // "newPassword: too short" shows under New password, in its words.
      const fe = serverError((e as Error).message, { oldUsername: 'oldUsername', oldPassword: 'oldPassword', newUsername: 'newUsername', newPassword: 'newPassword', username: 'newUsername', password: 'newPassword' })
      if (fe.field) form.setFields([{ name: fe.field, errors: [fe.short] }]); else message.error(fe.short)
    }
  }
  return (
    <Form form={form} layout="vertical" onFinish={submit} style={{ maxWidth: 400 }} disabled={ro}>
      {['oldUsername', 'oldPassword', 'newUsername', 'newPassword'].map((k) => (
        <Form.Item key={k} name={k} label={t(`settings.${k}`)} rules={[{ required: true, message: t('v.required') }]}>
          {k.endsWith('Password') ? <Input.Password /> : <Input />}
        </Form.Item>
      ))}
      <Button type="primary" htmlType="submit">{t('settings.updateUser')}</Button>
    </Form>
  )
}

function TwoFactor() {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const ro = useReadOnly()
  const st = useQuery({ queryKey: ['2fa'], queryFn: () => api.get<{ enabled: boolean } | boolean>('setting/twoFactor/status') })
  const on = typeof st.data === 'boolean' ? st.data : !!st.data?.enabled
  const [setup, setSetup] = useState<{ secret: string; url: string } | null>(null)
  const [qr, setQr] = useState('')
  const [code, setCode] = useState('')
  useEffect(() => { if (setup) void QRCode.toDataURL(setup.url, { width: 220 }).then(setQr) }, [setup])
  const call = async (p: string, body?: unknown): Promise<any> => {
    try { const r = await api.post<any>(p, body); setCode(''); await st.refetch(); return r ?? true } catch (e) { message.error((e as Error).message); return null }
  }
  return (
    <Space orientation="vertical">
      <Typography.Text id="tf-status" data-on={on ? 'true' : 'false'}>{on ? t('settings.tfOn') : t('settings.tfOff')}</Typography.Text>
      {!on && !setup && <Button id="tf-setup" disabled={ro} onClick={async () => { const r = await call('setting/twoFactor/setup'); if (r?.secret) setSetup(r) }}>{t('settings.tfSetup')}</Button>}
      {!on && setup && <>
        <Typography.Text>{t('settings.tfScan')}</Typography.Text>
        {qr && <img id="tf-qr" src={qr} width={220} height={220} alt="otpauth" />}
        <Typography.Text id="tf-secret" code copyable>{setup.secret}</Typography.Text>
        <Space><Input id="tf-code" value={code} onChange={(e) => setCode(e.target.value)} maxLength={6} inputMode="numeric" placeholder={t('login.code')} style={{ width: 160 }} />
          <Button id="tf-enable" type="primary" disabled={!/^\d{6}$/.test(code)} onClick={async () => { if (await call('setting/twoFactor/enable', { code })) setSetup(null) }}>{t('settings.tfEnable')}</Button></Space>
      </>}
      {on && <Space><Input id="tf-code" value={code} onChange={(e) => setCode(e.target.value)} maxLength={6} inputMode="numeric" placeholder={t('login.code')} style={{ width: 160 }} />
        <Button id="tf-disable" danger disabled={ro || !/^\d{6}$/.test(code)} onClick={() => call('setting/twoFactor/disable', { code })}>{t('settings.tfDisable')}</Button></Space>}
    </Space>
  )
}

function Tokens() {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const ro = useReadOnly()
  const list = useQuery({ queryKey: ['tokens'], queryFn: () => api.get<any[]>('setting/apiTokens') })
  const [name, setName] = useState('')
  const [shown, setShown] = useState('')
  // A token's role (default: the maker's) and an optional inbound scope.
  const me = useMe()
  const [role, setRole] = useState('')
  const [scope, setScope] = useState(0)
  const inbounds = useQuery({ queryKey: ['inbounds'], queryFn: () => api.get<{ id: number; remark: string }[]>('inbounds/list'), enabled: useCan('inbounds.read') })
  const create = async () => {
    const body = { name, role, scopeKind: scope ? 'inbound' : '', scopeId: scope }
    try { const r = await api.post<{ token: string }>('setting/apiTokens/create', body); setShown(r.token); setName(''); await list.refetch() } catch (e) { message.error((e as Error).message) }
  }
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Space wrap><Input id="token-name" placeholder={t('settings.tokenName')} value={name} onChange={(e) => setName(e.target.value)} />
        <Select id="token-role" aria-label={t('admins.role')} style={{ width: 150 }} value={role} onChange={setRole}
          options={[{ value: '', label: `${t('admins.role')}: ${me ? t(`roles.${me.role}`) : ''}` }, ...(me?.roles ?? []).map((r) => ({ value: r, label: t(`roles.${r}`) }))]} />
        <Select id="token-scope" aria-label={t('settings.tokenScope')} style={{ width: 200 }} value={scope} onChange={setScope}
          options={[{ value: 0, label: t('settings.allInbounds') }, ...(inbounds.data ?? []).map((i) => ({ value: i.id, label: `${i.id}: ${i.remark}` }))]} />
        <Button id="token-create" disabled={ro || !name} onClick={create}>{t('settings.createToken')}</Button></Space>
      {shown && <Alert id="token-shown" type="success" title={t('settings.tokenOnce')} description={<Typography.Text id="token-value" code copyable>{shown}</Typography.Text>} />}
      <Table id="token-table" rowKey="id" size="small" dataSource={list.data ?? []} pagination={false} columns={[
        { title: t('settings.name'), dataIndex: 'name' },
        { title: t('admins.role'), dataIndex: 'role', render: (r: string, x: any) => <>{r && <Tag>{t(`roles.${r}`)}</Tag>}{x.scopeKind === 'inbound' && <Tag color="blue">{t('settings.tokenScope')}: {x.scopeId}</Tag>}</> },
        { title: t('settings.created'), dataIndex: 'createdAt', render: (v) => (v ? formatDateTime(v * (v < 1e12 ? 1000 : 1)) : '') },
        { title: t('settings.lastUsed'), dataIndex: 'lastUsedAt', render: (v) => (v ? formatDateTime(v * (v < 1e12 ? 1000 : 1)) : '') },
        { title: t('settings.enabled'), dataIndex: 'enabled', render: (v, r: any) => <Switch className="token-enabled" size="small" checked={v !== false} disabled={ro} onChange={async (on) => { try { await api.post(`setting/apiTokens/setEnabled/${r.id}`, { enabled: on }); await list.refetch() } catch (e) { message.error((e as Error).message) } }} /> },
        { title: '', render: (_, r: any) => <Popconfirm title={t('firstHour.revokeToken', { name: r.name })} okText={t('settings.revoke')} okButtonProps={{ danger: true }} cancelText={t('common.cancel')} onConfirm={async () => { try { await api.post(`setting/apiTokens/revoke/${r.id}`); await list.refetch() } catch (e) { message.error((e as Error).message) } }}><Button className="token-revoke" danger size="small" disabled={ro}>{t('settings.revoke')}</Button></Popconfirm> },
      ]} />
    </Space>
  )
}

function XrayTemplate() {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const ro = useReadOnly()
  const canEdit = useCan('xray.config.write')
  const q = useQuery({ queryKey: ['xrayTemplate'], queryFn: () => api.get<unknown>('setting/getXrayTemplate') })
  const [text, setText] = useState('')
  const [err, setErr] = useState('')
  useEffect(() => { if (q.data !== undefined) setText(typeof q.data === 'string' ? q.data : JSON.stringify(q.data, null, 2)) }, [q.data])
  const save = async () => {
    setErr('')
    if (validJSON(text)) { setErr(t('v.json')); return }
    try { await api.post('setting/updateXrayTemplate', { xraySetting: text }); message.success(t('common.saved')) } catch (e) { setErr((e as Error).message) }
  }
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <CodeEditor id="xray-template" value={text} onChange={setText} height={480} />
      {err && <Alert id="xray-template-error" type="error" title={err} />}
      {canEdit && <Button type="primary" disabled={ro} onClick={save}>{t('settings.validate')}</Button>}
    </Space>
  )
}

function Backup() {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const ro = useReadOnly()
  const canBackup = useCan('db.backup'), canImport = useCan('db.import')
  return (
    <Space orientation="vertical">
      {canBackup && <Button id="backup-download" href={basePath() + 'panel/api/server/getDb'}>{t('backup.download')}</Button>}
      {canImport && <Typography.Text>{t('backup.restoreHint')}</Typography.Text>}
      {canImport && <Upload id="backup-restore" accept=".db,.json,application/octet-stream,application/json" disabled={ro} showUploadList={false} customRequest={async ({ file }) => {
        const fd = new FormData(); fd.append('db', file as Blob)
        try { await request('POST', 'panel/api/server/importDB', fd); message.success(t('backup.restored')) } catch (e) { message.error((e as Error).message) }
      }}><Button disabled={ro}>{t('backup.restore')}</Button></Upload>}
    </Space>
  )
}

export default function SettingsPage() {
  const { t } = useTranslation()
  const nav = useNavigate()
  const canRead = useCan('settings.read'), canTokens = useCan('tokens.manage'), canXray = useCan('xray.config.read')
  const canBackup = useCan('db.backup')
  const { tab = canRead ? 'panel' : 'account' } = useParams()
  const all = useQuery({ queryKey: ['settings'], queryFn: () => api.get<Settings>('setting/all'), enabled: canRead })
  const data = all.data
  // tg* and smtp* have their own page (Notifications).
  const panelKeys = (k: string) => !k.startsWith('sub') && !/^(tg|smtp)[A-Z]/.test(k) && k !== 'xrayTemplateConfig' && !isNetKey(k) && typeof data?.[k] !== 'object'
  return (
    <Card>
      <Tabs activeKey={tab} onChange={(k) => nav(`/panel/settings/${k}`)} items={[
        canRead && { key: 'panel', label: t('settings.panel'), children: data && <Space orientation="vertical" size="large" style={{ width: '100%' }}>
          <Card size="small" title={t('settings.network')}><PanelNetwork all={data} /></Card>
          <Card size="small" title={t('settings.shared')}><KeyForm all={data} pick={panelKeys} id="panel-settings" /></Card>
        </Space> },
        { key: 'account', label: t('settings.account'), children: <Space orientation="vertical" size="large"><Account /><Card size="small" title={t('settings.twoFactor')}><TwoFactor /></Card></Space> },
        canTokens && { key: 'tokens', label: t('settings.tokens'), children: <Tokens /> },
        canRead && { key: 'subscription', label: t('settings.subscription'), children: data && <Space orientation="vertical" size="large" style={{ width: '100%' }}>
          <KeyForm all={data} pick={(k) => k.startsWith('sub') && k !== 'subClashTemplate'} id="sub-settings" />
          {'subClashTemplate' in data && <ClashTemplate value={String(data.subClashTemplate ?? '')} />}
        </Space> },
        canXray && { key: 'xray', label: t('settings.xray'), children: <XrayTemplate /> },
        canBackup && { key: 'backup', label: t('backup.title'), children: <Backup /> },
      ].filter((x) => !!x)} />
    </Card>
  )
}
