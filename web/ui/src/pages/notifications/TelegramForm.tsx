import { useState } from 'react'
import { Form, Input, InputNumber, Switch, Select, Button, Space, Alert } from 'antd'
import { useTranslation } from 'react-i18next'
import { api } from '../../lib/api'
import { useReadOnly } from '../../App'
import { Field, useSaveSettings, useShowError, type Settings } from './shared'

export const TG_KEYS = ['tgBotEnable', 'tgBotToken', 'tgBotChatId', 'tgRunTime', 'tgBotBackup', 'tgBotLoginNotify', 'tgCpu', 'tgMemory', 'tgLang', 'tgBotProxy', 'tgBotAPIServer'] as const

const pick = (all: Settings, keys: readonly string[]) => Object.fromEntries(keys.filter((k) => k in all).map((k) => [k, all[k]]))

// TelegramForm edits every tg* setting (docs/telegram.md) and sends a test
// message with the form's values.
export default function TelegramForm({ all }: { all: Settings }) {
  const { t } = useTranslation()
  const ro = useReadOnly()
  const [form] = Form.useForm()
  const save = useSaveSettings()
  const showError = useShowError(form, TG_KEYS)
  const [result, setResult] = useState('')
  const [busy, setBusy] = useState(false)
  const lang = String(all.tgLang ?? 'en-US')
  const langs = [{ value: 'en-US', label: 'English (en-US)' }, { value: 'zh-CN', label: '简体中文 (zh-CN)' }]
  if (!langs.some((l) => l.value === lang)) langs.push({ value: lang, label: lang })
  const onSave = async (v: Settings) => {
    setResult('')
    try { await save(v); setResult(t('common.saved')) } catch (e) { showError(e) }
  }
  const test = async () => {
    setResult(''); setBusy(true)
    try {
      const r = await api.post<{ bot: string; chats: number[] }>('notify/telegram/test', form.getFieldsValue())
      setResult(t('notify.tg.testSent', { bot: r.bot, n: r.chats.length }))
    } catch (e) { showError(e) } finally { setBusy(false) }
  }
  return (
    <Form form={form} name="tg" layout="vertical" initialValues={pick(all, TG_KEYS)} onFinish={onSave} disabled={ro} style={{ maxWidth: 720 }}>
      <Field name="tgBotEnable" prefix="notify.tg" switchLike><Switch /></Field>
      <Field name="tgBotToken" prefix="notify.tg"><Input autoComplete="off" spellCheck={false} /></Field>
      <Field name="tgBotChatId" prefix="notify.tg"><Input /></Field>
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
        <Button type="primary" htmlType="submit">{t('common.save')}</Button>
        <Button onClick={test} loading={busy} title={t('notify.tg.testHelp')}>{t('notify.tg.test')}</Button>
      </Space>
      {result && <Alert role="status" type="success" showIcon style={{ marginTop: 16 }} title={result} />}
    </Form>
  )
}
