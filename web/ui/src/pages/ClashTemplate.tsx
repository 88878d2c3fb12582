import { useEffect, useState } from 'react'
import { Card, Button, App, Alert, Space, Typography } from 'antd'
import { useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { api } from '../lib/api'
import { useReadOnly, useCan } from '../App'
import CodeEditor from './CodeEditor'

// ClashTemplate edits subClashTemplate as YAML. The server parses it before
// storing and refuses a broken one with a message naming the key; that
// message is shown under the editor.
export default function ClashTemplate({ value }: { value: string }) {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const ro = useReadOnly()
  const canWrite = useCan('settings.write')
  const qc = useQueryClient()
  const [text, setText] = useState(value)
  const [err, setErr] = useState('')
  useEffect(() => setText(value), [value])
  const save = async () => {
    setErr('')
    try {
      await api.post('setting/update', { subClashTemplate: text })
      message.success(t('common.saved'))
      await qc.invalidateQueries({ queryKey: ['settings'] })
    } catch (e) { setErr((e as Error).message) }
  }
  return (
    <Card size="small" title={t('settings.clashTemplate')}>
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Typography.Text type="secondary">{t('settings.clashHint')}</Typography.Text>
        <CodeEditor id="clash-template" lang="yaml" value={text} onChange={setText} height={360} />
        {err && <Alert id="clash-template-error" type="error" title={err} />}
        {canWrite && <Button id="clash-template-save" type="primary" disabled={ro} onClick={save}>{t('settings.saveClash')}</Button>}
      </Space>
    </Card>
  )
}
