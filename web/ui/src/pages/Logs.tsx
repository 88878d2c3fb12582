import { useState, type ReactNode } from 'react'
import { Card, InputNumber, Button, Space, Tabs, Select, Switch, Input } from 'antd'
import { useQuery } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { api } from '../lib/api'

const levels = ['debug', 'info', 'notice', 'warning', 'error']

// View is what both tabs share: auto-refresh on or off and the search text.
interface View { auto: boolean; setAuto: (on: boolean) => void; search: string; setSearch: (s: string) => void }
const interval = (v: View) => (v.auto ? 5000 : false as const)

// LogView polls one log route and shows its lines.
function LogView({ id, path, view }: { id: string; path: (count: number) => string; view: View }) {
  const [count, setCount] = useState(200)
  const q = useQuery({ queryKey: ['logs', id, path(count)], queryFn: () => api.get<string[] | string>(path(count)), refetchInterval: interval(view) })
  const text = Array.isArray(q.data) ? q.data.join('\n') : q.data ?? ''
  return <LogText id={id} text={q.error ? (q.error as Error).message : text} count={count} setCount={setCount} refetch={() => void q.refetch()} view={view} />
}

function LogText({ id, text, count, setCount, refetch, extra, view }: { id: string; text: string; count: number; setCount: (n: number) => void; refetch: () => void; extra?: ReactNode; view: View }) {
  const { t } = useTranslation()
  const needle = view.search.trim().toLowerCase()
  const lines = needle ? text.split('\n').filter((l) => l.toLowerCase().includes(needle)) : null
  return (
    <>
      <Space style={{ marginBottom: 12 }} wrap>
        {extra}
        <label>{t('logs.count')} <InputNumber aria-label={t('logs.count')} min={1} max={10000} value={count} onChange={(v) => setCount(v ?? 200)} /></label>
        <Input.Search allowClear aria-label={t('firstHour.searchLogs')} placeholder={t('firstHour.searchLogs')} value={view.search} onChange={(e) => view.setSearch(e.target.value)} style={{ width: 240 }} />
        <label><Switch aria-label={t('firstHour.autoRefresh')} checked={view.auto} onChange={view.setAuto} /> {t('firstHour.autoRefresh')}</label>
        <Button onClick={refetch}>{t('common.refresh')}</Button>
        {lines && <span role="status">{t('firstHour.matches', { n: lines.length })}</span>}
      </Space>
      <pre id={id} tabIndex={0} aria-label={t('logs.title')} style={{ maxHeight: '70vh', overflow: 'auto', fontSize: 12 }}>{lines ? lines.join('\n') : text}</pre>
    </>
  )
}

function PanelLog({ view }: { view: View }) {
  const { t } = useTranslation()
  const [count, setCount] = useState(200)
  const [level, setLevel] = useState('info')
  const q = useQuery({ queryKey: ['logs', 'panel', count, level], queryFn: () => api.get<string[]>(`server/panelLogs/${count}?level=${level}`), refetchInterval: interval(view) })
  const text = q.error ? (q.error as Error).message : (q.data ?? []).join('\n')
  return <LogText id="panel-log-text" text={text || t('logs.empty')} count={count} setCount={setCount} refetch={() => void q.refetch()} view={view}
    extra={<>{t('logs.level')}<Select id="panel-log-level" aria-label={t('logs.level')} value={level} onChange={setLevel} style={{ width: 120 }} options={levels.map((l) => ({ value: l, label: t(`enums.level.${l}`) }))} /></>} />
}

export default function Logs() {
  const { t } = useTranslation()
  const [tab, setTab] = useState('xray')
  const [auto, setAuto] = useState(true)
  const [search, setSearch] = useState('')
  const view: View = { auto, setAuto, search, setSearch }
  return (
    <Card title={t('logs.title')}>
      <Tabs activeKey={tab} onChange={setTab} items={[
        { key: 'xray', label: t('logs.xray'), children: <LogView id="log-text" path={(n) => `server/logs/${n}`} view={view} /> },
        { key: 'panel', label: <span id="logs-tab-panel">{t('logs.panel')}</span>, children: <PanelLog view={view} /> },
      ]} />
    </Card>
  )
}
