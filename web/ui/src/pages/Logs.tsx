import { useState } from 'react'
import { Card, InputNumber, Button, Space } from 'antd'
import { useQuery } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { api } from '../lib/api'

export default function Logs() {
  const { t } = useTranslation()
  const [count, setCount] = useState(200)
  const q = useQuery({ queryKey: ['logs', count], queryFn: () => api.get<string[] | string>(`server/logs/${count}`), refetchInterval: 5000 })
  const text = Array.isArray(q.data) ? q.data.join('\n') : q.data ?? ''
  return (
    <Card title={t('logs.xray')} extra={<Space>{t('logs.count')}<InputNumber min={1} max={10000} value={count} onChange={(v) => setCount(v ?? 200)} /><Button onClick={() => q.refetch()}>{t('common.refresh')}</Button></Space>}>
      <pre id="log-text" style={{ maxHeight: '70vh', overflow: 'auto', fontSize: 12 }}>{q.error ? (q.error as Error).message : text}</pre>
    </Card>
  )
}
