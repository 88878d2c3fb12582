import { useEffect, useState } from 'react'
import { Form, Input, InputNumber, Switch, Select, Button, Space, Alert, Checkbox } from 'antd'
import { useTranslation } from 'react-i18next'
import { api } from '../../lib/api'
import { useReadOnly, useCan } from '../../App'
import { Field, useSaveSettings, useShowError, type Settings } from './shared'
import { joinEvents, kindKey, parseEvents, setTelegram, type KindInfo } from './model'

export const TG_KEYS = ['tgBotEnable', 'tgBotToken', 'tgBotChatId', 'tgEnabledEvents', 'tgBotLoginNotify', 'tgRunTime', 'tgBotBackup', 'tgCpu', 'tgMemory', 'tgLang', 'tgBotProxy', 'tgBotAPIServer'] as const


// TelegramForm edits every tg* setting (docs/telegram.md), the alerted
// kinds as checkboxes, and sends a test message with the form's values.
export default function TelegramForm({ all, kinds }: { all: Settings; kinds: KindInfo[] }) {
  const { t } = useTranslation()
  // A role without the permission sees the settings, not the buttons.
  const canSave = useCan('settings.write'), canTest = useCan('notify.write')
  const ro = useReadOnly() || !canSave
  const [form] = Form.useForm()
  const save = useSaveSettings()
  const showError = useShowError(form, TG_KEYS)
  const [result, setResult] = useState('')
  const [busy, setBusy] = useState(false)
  // Stored values changed (this form's save, the routing tab, another
  // admin): show them. The query keeps the same object while nothing changed.
  useEffect(() => { form.resetFields() }, [all, form])
  const lang = String(all.tgLang ?? 'en-US')
  const langs = [{ value: 'en-US', label: 'English (en-US)' }, { value: 'zh-CN', label: '简体中文 (zh-CN)' }]
  if (!langs.some((l) => l.value === lang)) langs.push({ value: lang, label: lang })
  const alertable = kinds.filter((k) => k.telegram)
  const initial = Object.fromEntries(TG_KEYS.filter((k) => k in all).map((k) => [k, k === 'tgEnabledEvents' ? parseEvents(all[k]) : all[k]]))
  // The server takes the kinds as a comma list.
  const values = (): Settings => {
    const v = form.getFieldsValue()
    return { ...v, tgEnabledEvents: joinEvents(v.tgEnabledEvents ?? [], alertable.map((k) => k.kind)) }
  }
  // Failed logins need both tgEnabledEvents and tgBotLoginNotify: the
  // form keeps the two in step (model.setTelegram).
  const sync = (changed: Record<string, unknown>, v: Record<string, any>) => {
    const login = alertable.find((k) => k.telegramAlso === 'tgBotLoginNotify')
    if (!login) return
    const listed = (v.tgEnabledEvents ?? []).includes(login.kind)
    if ('tgBotLoginNotify' in changed && listed !== v.tgBotLoginNotify) form.setFieldValue('tgEnabledEvents', setTelegram(login, !!v.tgBotLoginNotify, v.tgEnabledEvents ?? [], false).events)
    if ('tgEnabledEvents' in changed && listed !== v.tgBotLoginNotify) form.setFieldValue('tgBotLoginNotify', listed)
  }
  const onSave = async () => {
    setResult('')
    try { await save(values()); setResult(t('common.saved')) } catch (e) { showError(e) }
  }
  const test = async () => {
    setResult(''); setBusy(true)
    try {
      const r = await api.post<{ bot: string; chats: number[] }>('notify/telegram/test', values())
      setResult(t('notify.tg.testSent', { bot: r.bot, n: r.chats.length }))
    } catch (e) { showError(e) } finally { setBusy(false) }
  }
  return (
    <Form form={form} name="tg" layout="vertical" initialValues={initial} onValuesChange={sync} onFinish={onSave} disabled={ro} style={{ maxWidth: 720 }}>
      <Field name="tgBotEnable" prefix="notify.tg" switchLike><Switch /></Field>
      <Field name="tgBotToken" prefix="notify.tg"><Input autoComplete="off" spellCheck={false} /></Field>
      <Field name="tgBotChatId" prefix="notify.tg"><Input /></Field>
      <Field name="tgEnabledEvents" prefix="notify.tg">
        <Checkbox.Group options={alertable.map((k) => ({ value: k.kind, label: `${t(`notify.kinds.${kindKey(k.kind)}`)} (${k.kind})` }))} />
      </Field>
      <Field name="tgBotLoginNotify" prefix="notify.tg" switchLike><Switch /></Field>
      <Field name="tgLang" prefix="notify.tg"><Select options={langs} style={{ width: 240 }} /></Field>
      <Field name="tgRunTime" prefix="notify.tg"><Input style={{ width: 240 }} /></Field>
      <Field name="tgBotBackup" prefix="notify.tg" switchLike><Switch /></Field>
      <Space wrap size="large">
        <Field name="tgCpu" prefix="notify.tg"><InputNumber min={0} max={100} /></Field>
        <Field name="tgMemory" prefix="notify.tg"><InputNumber min={0} max={100} /></Field>
      </Space>
      <Field name="tgBotProxy" prefix="notify.tg"><Input placeholder="socks5://127.0.0.1:1080" /></Field>
      <Field name="tgBotAPIServer" prefix="notify.tg"><Input placeholder="https://api.telegram.org" /></Field>
      <Space wrap>
        {canSave && <Button type="primary" htmlType="submit">{t('common.save')}</Button>}
        {canTest && <Button onClick={test} loading={busy} title={t('notify.tg.testHelp')}>{t('notify.tg.test')}</Button>}
      </Space>
      {result && <Alert role="status" type="success" showIcon style={{ marginTop: 16 }} title={result} />}
    </Form>
  )
}
