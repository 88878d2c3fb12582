import { useEffect, useState } from 'react'
import { Table, Checkbox, Button, Space, Typography, Tooltip, Tag, App } from 'antd'
import { useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { api } from '../../lib/api'
import { useReadOnly, useCan } from '../../App'
import { useSaveSettings, useWebhooks, type Settings } from './shared'
import { joinEvents, kindKey, parseEvents, setTelegram, subscribable, subscribes, telegramGets, withKind, type KindInfo } from './model'

// Matrix shows, per event kind, whether it goes to email, Telegram and
// each webhook, and saves them: smtpEnabledEvents, tgEnabledEvents (with
// tgBotLoginNotify for failed logins) and each webhook's events. A kind a
// target cannot take is shown unticked and disabled, with the reason.
export default function Matrix({ all, kindInfo }: { all: Settings; kindInfo: KindInfo[] }) {
  const { t } = useTranslation()
  const { message } = App.useApp()
  // Routing saves settings (settings.write) and webhooks (notify.write).
  const canSettings = useCan('settings.write'), canHooks = useCan('notify.write')
  const canWrite = canSettings && canHooks
  const ro = useReadOnly() || !canWrite
  const qc = useQueryClient()
  const saveSettings = useSaveSettings()
  const hooks = useWebhooks()
  const kinds = subscribable(kindInfo)
  const rows = kindInfo.filter((k) => kinds.includes(k.kind))
  const [email, setEmail] = useState<string[]>([])
  const [login, setLogin] = useState(false)
  const [tg, setTg] = useState<string[]>([])
  const [hookEvents, setHookEvents] = useState<Record<number, string[]>>({})
  useEffect(() => { setEmail(parseEvents(all.smtpEnabledEvents)); setLogin(all.tgBotLoginNotify === true); setTg(parseEvents(all.tgEnabledEvents)) }, [all])
  useEffect(() => { setHookEvents(Object.fromEntries((hooks.data ?? []).map((h) => [h.id, h.events]))) }, [hooks.data])
  const mailable = rows.filter((k) => k.email).map((k) => k.kind)
  const tgKinds = rows.filter((k) => k.telegram).map((k) => k.kind)
  const save = async () => {
    try {
      const s: Settings = {}
      const nextEmail = joinEvents(email, mailable)
      if (nextEmail !== joinEvents(parseEvents(all.smtpEnabledEvents), mailable)) s.smtpEnabledEvents = nextEmail
      if (login !== (all.tgBotLoginNotify === true)) s.tgBotLoginNotify = login
      const nextTg = joinEvents(tg, tgKinds)
      if (nextTg !== joinEvents(parseEvents(all.tgEnabledEvents), tgKinds)) s.tgEnabledEvents = nextTg
      if (Object.keys(s).length) await saveSettings(s)
      for (const h of hooks.data ?? []) {
        const ev = hookEvents[h.id]
        if (ev && JSON.stringify(ev) !== JSON.stringify(h.events)) await api.post(`notify/webhooks/update/${h.id}`, { events: ev })
      }
      await qc.invalidateQueries({ queryKey: ['webhooks'] })
      message.success(t('common.saved'))
    } catch (e) { message.error((e as Error).message) }
  }
  const emailOn = all.smtpEnable === true
  const botOn = all.tgBotEnable === true
  const cell = (checked: boolean, label: string, onChange?: (v: boolean) => void, why?: string) => {
    const box = <Checkbox checked={checked} disabled={ro || !onChange} aria-label={label} onChange={(e) => onChange?.(e.target.checked)} />
    return why ? <Tooltip title={why}>{box}</Tooltip> : box
  }
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Typography.Paragraph type="secondary">{t('notify.route.help')}</Typography.Paragraph>
      <Table<KindInfo> rowKey="kind" size="small" pagination={false} dataSource={rows} scroll={{ x: true }} columns={[
        { title: t('notify.route.kind'), render: (_, k) => <span>{t(`notify.kinds.${kindKey(k.kind)}`)} <Typography.Text type="secondary" code>{k.kind}</Typography.Text></span> },
        { title: <span>{t('notify.route.email')} {!emailOn && <Tag>{t('notify.route.off')}</Tag>}</span>, align: 'center', render: (_, k) => k.email
          ? cell(email.includes(k.kind), `${k.kind} → ${t('notify.route.email')}`, (v) => setEmail((e) => (v ? [...e, k.kind] : e.filter((x) => x !== k.kind))))
          : cell(false, `${k.kind} → ${t('notify.route.email')}`, undefined, t('notify.route.notMailable')) },
        { title: <span>{t('notify.route.telegram')} {!botOn && <Tag>{t('notify.route.off')}</Tag>}</span>, align: 'center', render: (_, k) => {
          const label = `${k.kind} → ${t('notify.route.telegram')}`
          if (!k.telegram) return cell(false, label, undefined, t('notify.route.never'))
          const flip = (v: boolean) => { const r = setTelegram(k, v, tg, login); setTg(r.events); setLogin(r.loginNotify) }
          return cell(telegramGets(k, tg, login), label, flip, k.telegramAlso ? t('notify.route.loginSwitch') : undefined)
        } },
        ...(hooks.data ?? []).map((h) => ({
          key: `hook-${h.id}`, align: 'center' as const,
          title: <span style={{ wordBreak: 'break-all' }}>{h.url} {!h.enabled && <Tag>{t('notify.route.disabledHook')}</Tag>}</span>,
          render: (_: unknown, k: KindInfo) => cell(subscribes(hookEvents[h.id] ?? h.events, k.kind), `${k.kind} → ${h.url}`,
            (v) => setHookEvents((m) => ({ ...m, [h.id]: withKind(m[h.id] ?? h.events, k.kind, v, kinds) }))),
        })),
      ]} />
      {canWrite && <Button type="primary" disabled={ro} onClick={save}>{t('notify.route.save')}</Button>}
    </Space>
  )
}
