import { Form, App } from 'antd'
import type { FormInstance } from 'antd'
import type { ReactNode } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { api } from '../../lib/api'
import { fieldOf, type KindInfo, type Webhook } from './model'

export type Settings = Record<string, string | number | boolean>

export const useSettings = () => useQuery({ queryKey: ['settings'], queryFn: () => api.get<Settings>('setting/all') })
export const useKinds = () => useQuery({ queryKey: ['notifyKinds'], queryFn: () => api.get<KindInfo[]>('notify/kinds'), staleTime: Infinity })
export const useWebhooks = () => useQuery({ queryKey: ['webhooks'], queryFn: () => api.get<Webhook[]>('notify/webhooks') })

// useShowError puts a server refusal next to the field it names (the
// message in the server's own words), or in a toast when it names none.
export function useShowError(form: FormInstance, fields: readonly string[]) {
  const { message } = App.useApp()
  return (e: unknown) => {
    const msg = (e as Error).message
    const f = fieldOf(msg, fields)
    if (f) { form.setFields([{ name: f, errors: [msg] }]); form.scrollToField(f) } else message.error(msg)
  }
}

// useSaveSettings posts some settings and refreshes the settings query.
export function useSaveSettings() {
  const qc = useQueryClient()
  return async (v: Settings) => { await api.post('setting/update', v); await qc.invalidateQueries({ queryKey: ['settings'] }) }
}

// Field is a labelled form item with its help text under it, the label
// and help taken from prefix.key and prefix.keyHelp.
export function Field({ name, prefix, children, switchLike }: { name: string; prefix: string; children: ReactNode; switchLike?: boolean }) {
  const { t } = useTranslation()
  return (
    <Form.Item name={name} label={t(`${prefix}.${name}`)} extra={t(`${prefix}.${name}Help`)} valuePropName={switchLike ? 'checked' : 'value'}>
      {children}
    </Form.Item>
  )
}
