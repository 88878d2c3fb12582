import { useState } from 'react'
import { Form, Input, InputNumber, Button, App, Alert, Space, Typography } from 'antd'
import { useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { api } from '../lib/api'
import { validPort } from '../lib/validate'
import { netKeys, panelURL, type PanelNet as Net } from '../lib/panel'
import { useCan } from '../App'

// PanelNetwork edits this node's listen address, port, base path, TLS files
// and session length, shows the server's refusal, and offers the restart
// that applies a saved change. It stays editable on a worker: these
// settings are the node's own, not shared.
export default function PanelNetwork({ all }: { all: Record<string, unknown> }) {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const qc = useQueryClient()
  const canWrite = useCan('settings.write')
  const [form] = Form.useForm<Net>()
  const [err, setErr] = useState('')
  const [saved, setSaved] = useState<Net | null>(null)
  const [restarting, setRestarting] = useState(false)
  const initial = Object.fromEntries(netKeys.map((k) => [k, all[k]])) as Net
  const save = async (v: Net) => {
    setErr('')
    const body = { ...v, webListen: v.webListen ?? '', webCertFile: v.webCertFile ?? '', webKeyFile: v.webKeyFile ?? '', webBasePath: v.webBasePath ?? '', webDomain: v.webDomain ?? '' }
    try {
      const r = await api.post<{ restartNeeded?: boolean } | null>('setting/update', body)
      message.success(t('common.saved'))
      if (r?.restartNeeded) setSaved(body)
      await qc.invalidateQueries({ queryKey: ['settings'] })
    } catch (e) { setErr((e as Error).message) }
  }
  const restart = async () => {
    if (!saved) return
    setRestarting(true)
    try {
      await api.post('setting/restartPanel')
      const next = panelURL(saved, window.location)
      // Give the panel a moment to bind its new address, then go there.
      setTimeout(() => window.location.assign(next + 'panel/settings/panel'), 2500)
    } catch (e) { setErr((e as Error).message); setRestarting(false) }
  }
  return (
    <Form form={form} layout="vertical" initialValues={initial} onFinish={save} id="panel-network" style={{ maxWidth: 520 }} disabled={!canWrite}>
      <Typography.Paragraph type="secondary">{t('settings.netNote')}</Typography.Paragraph>
      <Form.Item name="webListen" label={t('settings.webListen')} extra={t('settings.webListenHint')}>
        <Input id="net-listen" placeholder="0.0.0.0" />
      </Form.Item>
      <Form.Item name="webPort" label={t('settings.webPort')} rules={[{ validator: (_, v) => (validPort(v) ? Promise.reject(new Error(t(validPort(v)))) : Promise.resolve()) }]}>
        <InputNumber id="net-port" style={{ width: 200 }} />
      </Form.Item>
      <Form.Item name="webBasePath" label={t('settings.webBasePath')} rules={[{ pattern: /^\/?[A-Za-z0-9/_\-.~]*$/, message: t('v.basePath') }]}>
        <Input id="net-basepath" placeholder="/" />
      </Form.Item>
      <Form.Item name="webDomain" label={t('settings.webDomain')} extra={t('settings.webDomainHint')}>
        <Input id="net-domain" placeholder="panel.example.com" />
      </Form.Item>
      <Form.Item name="webCertFile" label={t('settings.webCertFile')}>
        <Input id="net-cert" placeholder="/etc/ssl/panel.crt" />
      </Form.Item>
      <Form.Item name="webKeyFile" label={t('settings.webKeyFile')}>
        <Input id="net-key" placeholder="/etc/ssl/panel.key" />
      </Form.Item>
      <Form.Item name="sessionMaxAge" label={t('settings.sessionMaxAge')} rules={[{ required: true, message: t('v.required') }]}>
        <InputNumber id="net-session" min={1} style={{ width: 200 }} />
      </Form.Item>
      {err && <Alert id="panel-network-error" type="error" title={err} style={{ marginBottom: 12 }} />}
      {saved && (
        <Alert id="panel-restart-needed" type="warning" showIcon style={{ marginBottom: 12 }}
          title={t('settings.restartNeeded', { url: panelURL(saved, window.location) })}
          action={<Button id="panel-restart" danger loading={restarting} onClick={restart}>{t('settings.restartPanel')}</Button>} />
      )}
      {canWrite && <Space><Button type="primary" htmlType="submit" id="panel-network-save">{t('common.save')}</Button></Space>}
    </Form>
  )
}
