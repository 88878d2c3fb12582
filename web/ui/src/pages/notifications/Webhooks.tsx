import { useState } from 'react'
import { Table, Button, Switch, Space, Modal, Form, Input, Checkbox, Popconfirm, Alert, Tag, Typography, App } from 'antd'
import { useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { api } from '../../lib/api'
import { useReadOnly, useCan } from '../../App'
import { useShowError, useWebhooks } from './shared'
import { kindKey, randomSecret, subscribable, type Delivery, type KindInfo, type Webhook } from './model'

const HOOK_FIELDS = ['url', 'secret', 'events', 'enabled'] as const

// HookDialog adds a webhook (secret generated, editable) or edits one
// (the secret is replaced only when a new one is typed).
function HookDialog({ edit, kinds, onClose, onAdded }: { edit: Webhook | 'new'; kinds: string[]; onClose: () => void; onAdded: (w: Webhook) => void }) {
  const { t } = useTranslation()
  const qc = useQueryClient()
  const [form] = Form.useForm()
  const showError = useShowError(form, HOOK_FIELDS)
  const isNew = edit === 'new'
  const all = Form.useWatch('all', form)
  const initial = isNew
    ? { url: '', secret: randomSecret(), all: true, events: kinds, enabled: true }
    : { url: edit.url, secret: '', all: edit.events.includes('*'), events: edit.events.includes('*') ? kinds : edit.events, enabled: edit.enabled }
  const save = async () => {
    const v = await form.validateFields()
    const body: Record<string, unknown> = { url: v.url.trim(), events: v.all ? ['*'] : v.events, enabled: v.enabled }
    if (isNew || v.secret) body.secret = v.secret
    try {
      const w = await api.post<Webhook>(isNew ? 'notify/webhooks/add' : `notify/webhooks/update/${edit.id}`, body)
      await qc.invalidateQueries({ queryKey: ['webhooks'] })
      if (w?.secret) onAdded(w)
      onClose()
    } catch (e) { showError(e) }
  }
  return (
    <Modal open title={t(isNew ? 'notify.hook.add' : 'notify.hook.edit')} onOk={save} onCancel={onClose} okText={t('common.save')} cancelText={t('common.cancel')} width={640}>
      <Form form={form} name="hook" layout="vertical" initialValues={initial}>
        <Form.Item name="url" label={t('notify.hook.url')} extra={t('notify.hook.urlHelp')} rules={[{ required: true, message: t('v.required') }]}>
          <Input placeholder="https://example.com/x-ui-hook" />
        </Form.Item>
        <Form.Item label={t('notify.hook.secret')} extra={t(isNew ? 'notify.hook.secretHelp' : 'notify.hook.secretEditHelp')}>
          <Space.Compact style={{ width: '100%' }}>
            <Form.Item name="secret" noStyle><Input id="hook_secret" spellCheck={false} aria-label={t('notify.hook.secret')} /></Form.Item>
            <Button onClick={() => form.setFieldValue('secret', randomSecret())}>{t('common.generate')}</Button>
          </Space.Compact>
        </Form.Item>
        <Form.Item name="all" valuePropName="checked"><Checkbox>{t('notify.hook.allEvents')}</Checkbox></Form.Item>
        <Form.Item name="events" label={t('notify.hook.events')} hidden={all}>
          <Checkbox.Group options={kinds.map((k) => ({ value: k, label: `${t(`notify.kinds.${kindKey(k)}`)} (${k})` }))} />
        </Form.Item>
        <Form.Item name="enabled" label={t('notify.hook.enabled')} valuePropName="checked"><Switch /></Form.Item>
      </Form>
    </Modal>
  )
}

// Webhooks is the endpoints' table: add, edit, enable, delete (the
// confirmation names the URL) and a test post per row with its result.
export default function Webhooks({ kindInfo }: { kindInfo: KindInfo[] }) {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const canWrite = useCan('notify.write') // without it: the list, no buttons
  const ro = useReadOnly() || !canWrite
  const qc = useQueryClient()
  const hooks = useWebhooks()
  const kinds = subscribable(kindInfo)
  const [edit, setEdit] = useState<Webhook | 'new' | null>(null)
  const [secret, setSecret] = useState<Webhook | null>(null)
  const [tests, setTests] = useState<Record<number, Delivery | string>>({})
  const call = async (p: string, body?: unknown) => {
    try { const r = await api.post<any>(p, body); await qc.invalidateQueries({ queryKey: ['webhooks'] }); return r } catch (e) { message.error((e as Error).message); return undefined }
  }
  const test = async (w: Webhook) => {
    setTests((s) => ({ ...s, [w.id]: 'busy' }))
    try { const d = await api.post<Delivery>(`notify/webhooks/test/${w.id}`); setTests((s) => ({ ...s, [w.id]: d })) } catch (e) { setTests((s) => ({ ...s, [w.id]: (e as Error).message })) }
    await qc.invalidateQueries({ queryKey: ['deliveries'] })
  }
  const result = (w: Webhook) => {
    const r = tests[w.id]
    if (!r || r === 'busy') return null
    if (typeof r === 'string') return <Alert type="error" showIcon title={r} />
    return r.status === 'delivered'
      ? <Alert type="success" showIcon title={t('notify.hook.testOk', { url: w.url, status: r.lastStatus })} />
      : <Alert type="error" showIcon title={t('notify.hook.testFailed', { url: w.url, error: r.lastError })} />
  }
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      {canWrite && <Button type="primary" disabled={ro} onClick={() => setEdit('new')}>{t('notify.hook.add')}</Button>}
      {secret && <Alert type="warning" showIcon closable onClose={() => setSecret(null)} title={t('notify.hook.secretOnce')}
        description={<><div>{secret.url}</div><Typography.Text code copyable aria-label={t('notify.hook.secret')}>{secret.secret}</Typography.Text></>} />}
      <Table<Webhook> rowKey="id" size="small" loading={hooks.isLoading} dataSource={hooks.data ?? []} pagination={false}
        locale={{ emptyText: t('notify.hook.none') }}
        expandable={{ expandedRowKeys: Object.keys(tests).map(Number), expandedRowRender: (w) => result(w), showExpandColumn: false }}
        columns={[
          { title: t('notify.hook.url'), dataIndex: 'url', render: (u: string) => <Typography.Text style={{ wordBreak: 'break-all' }}>{u}</Typography.Text> },
          { title: t('notify.hook.events'), dataIndex: 'events', render: (ev: string[]) => ev.includes('*') ? <Tag color="blue">{t('notify.hook.allTag')}</Tag> : ev.map((k) => <Tag key={k}>{k}</Tag>) },
          { title: t('notify.hook.enabled'), dataIndex: 'enabled', render: (on: boolean, w) => <Switch size="small" checked={on} disabled={ro} aria-label={`${t('notify.hook.enabled')} ${w.url}`} onChange={(v) => call(`notify/webhooks/update/${w.id}`, { enabled: v })} /> },
          { title: t('common.actions'), hidden: !canWrite, render: (_, w) => (
            <Space>
              <Button size="small" disabled={ro} loading={tests[w.id] === 'busy'} onClick={() => test(w)} aria-label={`${t('notify.hook.test')} ${w.url}`}>{t('notify.hook.test')}</Button>
              <Button size="small" disabled={ro} onClick={() => setEdit(w)} aria-label={`${t('common.edit')} ${w.url}`}>{t('common.edit')}</Button>
              <Popconfirm title={t('notify.hook.deleteConfirm', { url: w.url })} okText={t('common.delete')} cancelText={t('common.cancel')} onConfirm={() => call(`notify/webhooks/del/${w.id}`)}>
                <Button size="small" danger disabled={ro} aria-label={`${t('common.delete')} ${w.url}`}>{t('common.delete')}</Button>
              </Popconfirm>
            </Space>) },
        ]} />
      {edit && <HookDialog edit={edit} kinds={kinds} onClose={() => setEdit(null)} onAdded={setSecret} />}
    </Space>
  )
}
