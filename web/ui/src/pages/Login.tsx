import { useEffect, useState } from 'react'
import { Card, Form, Input, Button, Alert, Select } from 'antd'
import { useTranslation } from 'react-i18next'
import { useNavigate } from 'react-router'
import { request } from '../lib/api'
import { languages, setLanguage } from '../i18n'
import { prefetchPages } from '.'

export default function Login() {
  const { t, i18n } = useTranslation()
  const [err, setErr] = useState('')
  const [needCode, setNeedCode] = useState(false)
  const [busy, setBusy] = useState(false)
  const nav = useNavigate()
  // Show the code field up front when two-factor login is on; the server's
  // refusal still reveals it if this check fails.
  useEffect(prefetchPages, [])
  useEffect(() => {
    request<boolean>('POST', 'getTwoFactorEnable').then((on) => { if (on) setNeedCode(true) }).catch(() => {})
  }, [])
  const submit = async (v: { username: string; password: string; twoFactorCode?: string }) => {
    setBusy(true); setErr('')
    try {
      await request('POST', 'login', v)
      // In-app navigation: a full load would fetch and compile every script
      // again before the panel could render.
      nav('/panel/', { replace: true })
    } catch (e) {
      const msg = (e as Error).message
      if (/two-factor|twoFactor|2fa|code/i.test(msg)) setNeedCode(true)
      setErr(msg)
    } finally { setBusy(false) }
  }
  return (
    <div style={{ display: 'flex', justifyContent: 'center', paddingTop: '12vh' }}>
      <Card title={t('login.title')} style={{ width: 360 }}
        extra={<Select size="small" value={i18n.language} options={languages} onChange={setLanguage} />}>
        <Form layout="vertical" onFinish={submit}>
          <Form.Item name="username" label={t('login.username')} rules={[{ required: true, message: t('v.required') }]}>
            <Input id="username" autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item name="password" label={t('login.password')} rules={[{ required: true, message: t('v.required') }]}>
            <Input.Password id="password" autoComplete="current-password" />
          </Form.Item>
          {needCode && (
            <Form.Item name="twoFactorCode" label={t('login.code')} rules={[{ pattern: /^\d{6}$/, message: t('login.codeFormat') }]}>
              <Input id="twoFactorCode" inputMode="numeric" autoComplete="one-time-code" maxLength={6} />
            </Form.Item>
          )}
          {err && <Alert type="error" title={err} style={{ marginBottom: 12 }} />}
          <Button type="primary" htmlType="submit" block loading={busy} id="login-submit">{t('login.submit')}</Button>
          <Button type="link" size="small" onClick={() => setNeedCode(!needCode)} style={{ marginTop: 8 }}>{t('login.code')}</Button>
        </Form>
      </Card>
    </div>
  )
}
