import { useState, type ReactNode } from 'react'
import { Card, InputNumber, Button, Space, Tabs, Select } from 'antd'
import { useQuery } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { api } from '../lib/api'

const levels = ['debug', 'info', 'notice', 'warning', 'error']

// LogView polls one log route and shows its lines.
function LogView({ id, path }: { id: string; path: (count: number) => string }) {
  const [count, setCount] = useState(200)
  const q = useQuery({ queryKey: ['logs', id, path(count)], queryFn: () => api.get<string[] | string>(path(count)), refetchInterval: 5000 })
  const text = Array.isArray(q.data) ? q.data.join('\n') : q.data ?? ''
  return <LogText id={id} text={q.error ? (q.error as Error).message : text} count={count} setCount={setCount} refetch={() => void q.refetch()} />
}

function LogText({ id, text, count, setCount, refetch, extra }: { id: string; text: string; count: number; setCount: (n: number) => void; refetch: () => void; extra?: ReactNode }) {
  const { t } = useTranslation()
  return (
    <>
      <Space style={{ marginBottom: 12 }} wrap>
        {extra}
        {t('logs.count')}<InputNumber min={1} max={10000} value={count} onChange={(v) => setCount(v ?? 200)} />
        <Button onClick={refetch}>{t('common.refresh')}</Button>
      </Space>
      <pre id={id} style={{ maxHeight: '70vh', overflow: 'auto', fontSize: 12 }}>{text}</pre>
    </>
  )
}

function PanelLog() {
  const { t } = useTranslation()
  const [count, setCount] = useState(200)
  const [level, setLevel] = useState('info')
  const q = useQuery({ queryKey: ['logs', 'panel', count, level], queryFn: () => api.get<string[]>(`server/panelLogs/${count}?level=${level}`), refetchInterval: 5000 })
  const text = q.error ? (q.error as Error).message : (q.data ?? []).join('\n')
  return <LogText id="panel-log-text" text={text || t('logs.empty')} count={count} setCount={setCount} refetch={() => void q.refetch()}
    extra={<>{t('logs.level')}<Select id="panel-log-level" value={level} onChange={setLevel} style={{ width: 120 }} options={levels.map((l) => ({ value: l, label: l }))} /></>} />
}

export default function Logs() {
  const { t } = useTranslation()
  const [tab, setTab] = useState('xray')
  return (
    <Card title={t('logs.title')}>
      <Tabs activeKey={tab} onChange={setTab} items={[
        { key: 'xray', label: t('logs.xray'), children: <LogView id="log-text" path={(n) => `server/logs/${n}`} /> },
        { key: 'panel', label: <span id="logs-tab-panel">{t('logs.panel')}</span>, children: <PanelLog /> },
      ]} />
    </Card>
  )
}
