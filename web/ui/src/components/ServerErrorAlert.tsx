import { useState } from 'react'
import { Alert, Button, Typography } from 'antd'
import { useTranslation } from 'react-i18next'
import type { FieldError } from '../lib/serverError'

// ServerErrorAlert shows a refusal's short text; the full server text
// (an Xray refusal runs to hundreds of characters) opens on demand.
export default function ServerErrorAlert({ err }: { err: FieldError | null }) {
  const { t } = useTranslation()
  const [open, setOpen] = useState(false)
  if (!err) return null
  const more = err.full !== err.short
  return (
    <Alert type="error" showIcon role="alert" style={{ marginBottom: 12 }} title={err.short}
      description={more && open ? <Typography.Paragraph style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all', marginBottom: 0 }}>{err.full}</Typography.Paragraph> : undefined}
      action={more ? <Button size="small" type="link" aria-expanded={open} onClick={() => setOpen(!open)}>{t(open ? 'form.hideDetails' : 'form.details')}</Button> : undefined} />
  )
}
