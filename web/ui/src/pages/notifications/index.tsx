import { Card, Tabs, Spin } from 'antd'
import { useTranslation } from 'react-i18next'
import { useNavigate, useParams } from 'react-router'
import { useKinds, useSettings } from './shared'
import TelegramForm from './TelegramForm'
import EmailForm from './EmailForm'
import Webhooks from './Webhooks'
import Matrix from './Matrix'
import DeliveryLog from './DeliveryLog'

// NotificationsPage: the Telegram bot, email, webhooks, which events go
// where, and the delivery log (docs/notifications.md), one tab each.
export default function NotificationsPage() {
  const { t } = useTranslation()
  const nav = useNavigate()
  const { tab = 'telegram' } = useParams()
  const all = useSettings()
  const kinds = useKinds()
  const ready = all.data && kinds.data
  const wait = <Spin />
  return (
    <Card title={t('notify.title')}>
      <Tabs activeKey={tab} onChange={(k) => nav(`/panel/notifications/${k}`)} items={[
        { key: 'telegram', label: t('notify.tabs.telegram'), children: ready ? <TelegramForm all={all.data!} kinds={kinds.data!} /> : wait },
        { key: 'email', label: t('notify.tabs.email'), children: ready ? <EmailForm all={all.data!} kinds={kinds.data!} /> : wait },
        { key: 'webhooks', label: t('notify.tabs.webhooks'), children: ready ? <Webhooks kindInfo={kinds.data!} /> : wait },
        { key: 'routing', label: t('notify.tabs.routing'), children: ready ? <Matrix all={all.data!} kindInfo={kinds.data!} /> : wait },
        { key: 'log', label: t('notify.tabs.log'), children: <DeliveryLog /> },
      ]} />
    </Card>
  )
}
