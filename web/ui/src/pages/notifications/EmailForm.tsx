import { useEffect, useState } from 'react'
import { Form, Input, InputNumber, Switch, Select, Button, Space, Alert, Checkbox } from 'antd'
import { useTranslation } from 'react-i18next'
import { api } from '../../lib/api'
import { useReadOnly, useCan } from '../../App'
import { Field, useSaveSettings, useShowError, type Settings } from './shared'
import { joinEvents, kindKey, parseEvents, type KindInfo } from './model'

export const SMTP_KEYS = ['smtpEnable', 'smtpHost', 'smtpPort', 'smtpEncryptionType', 'smtpUsername', 'smtpPassword', 'smtpFrom', 'smtpFromName', 'smtpTo', 'smtpEnabledEvents'] as const

// EmailForm edits every smtp* setting (docs/notifications.md, Email),
// the mailed kinds as checkboxes, and sends a test mail with the form's
// values.
export default function EmailForm({ all, kinds }: { all: Settings; kinds: KindInfo[] }) {
  const { t } = useTranslation()
  // A role without the permission sees the settings, not the buttons.
  const canSave = useCan('settings.write'), canTest = useCan('notify.write')
  const ro = useReadOnly() || !canSave
  const [form] = Form.useForm()
  const save = useSaveSettings()
  const showError = useShowError(form, SMTP_KEYS)
  const [result, setResult] = useState('')
  const [busy, setBusy] = useState(false)
  // Stored values changed (this form's save, the routing tab, another
  // admin): show them. The query keeps the same object while nothing changed.
  useEffect(() => { form.resetFields() }, [all, form])
  const mailable = kinds.filter((k) => k.email).map((k) => k.kind)
  const initial = Object.fromEntries(SMTP_KEYS.filter((k) => k in all).map((k) => [k, k === 'smtpEnabledEvents' ? parseEvents(all[k]) : all[k]]))
  // The server takes the kinds as a comma list.
  const values = (): Settings => {
    const v = form.getFieldsValue()
    return { ...v, smtpEnabledEvents: joinEvents(v.smtpEnabledEvents ?? [], mailable) }
  }
  const onSave = async () => {
    setResult('')
    try { await save(values()); setResult(t('common.saved')) } catch (e) { showError(e) }
  }
  const test = async () => {
    setResult(''); setBusy(true)
    const { smtpEnabledEvents: _ignored, ...v } = values()
    try {
      const r = await api.post<{ to: string[]; server: string }>('notify/email/test', v)
      setResult(t('notify.email.testSent', { to: r.to.join(', '), server: r.server }))
    } catch (e) { showError(e) } finally { setBusy(false) }
  }
  return (
    <Form form={form} name="smtp" layout="vertical" initialValues={initial} onFinish={onSave} disabled={ro} style={{ maxWidth: 720 }}>
      <Field name="smtpEnable" prefix="notify.email" switchLike><Switch /></Field>
      <Space wrap size="large" align="start">
        <Field name="smtpHost" prefix="notify.email"><Input style={{ width: 320 }} placeholder="smtp.example.com" /></Field>
        <Field name="smtpPort" prefix="notify.email"><InputNumber min={1} max={65535} /></Field>
      </Space>
      <Field name="smtpEncryptionType" prefix="notify.email">
        <Select style={{ width: 240 }} options={[{ value: 'starttls', label: t('notify.email.encStarttls') }, { value: 'tls', label: t('notify.email.encTls') }, { value: 'no', label: t('notify.email.encNo') }]} />
      </Field>
      <Field name="smtpUsername" prefix="notify.email"><Input autoComplete="off" /></Field>
      <Field name="smtpPassword" prefix="notify.email"><Input.Password autoComplete="new-password" /></Field>
      <Field name="smtpFrom" prefix="notify.email"><Input placeholder="alerts@example.com" /></Field>
      <Field name="smtpFromName" prefix="notify.email"><Input /></Field>
      <Field name="smtpTo" prefix="notify.email"><Input placeholder="admin@example.com, ops@example.com" /></Field>
      <Field name="smtpEnabledEvents" prefix="notify.email">
        <Checkbox.Group options={mailable.map((k) => ({ value: k, label: `${t(`notify.kinds.${kindKey(k)}`)} (${k})` }))} />
      </Field>
      <Space wrap>
        {canSave && <Button type="primary" htmlType="submit">{t('common.save')}</Button>}
        {canTest && <Button onClick={test} loading={busy} title={t('notify.email.testHelp')}>{t('notify.email.test')}</Button>}
      </Space>
      {result && <Alert role="status" type="success" showIcon style={{ marginTop: 16 }} title={result} />}
    </Form>
  )
}
