import dayjs, { type Dayjs } from 'dayjs'
import { bytesToGb, gbToBytes } from '../lib/format'

// The client form's values, read from a stored client (clientInitial) and
// written back onto a copy of it (applyClientForm): an edit writes only the
// fields the admin changed, so fields the form does not show (v3's, a
// script's) and values it shows rounded (quota in GB) stay as stored.
export interface ClientFormValues {
  inboundId?: number; email: string; id?: string; password?: string; flow?: string; quotaGB: number | null
  limitIp: number | null; reset: number | null; subId: string; comment: string; enable: boolean; tgId: string
  expiryMode: 'never' | 'date' | 'after'; expiryDate?: Dayjs; afterDays: number
}

type Obj = Record<string, any>

export function clientInitial(c: Obj, inboundId?: number): ClientFormValues {
  const exp = Number(c.expiryTime ?? 0)
  return {
    inboundId, email: c.email ?? '', id: c.id, password: c.password, flow: c.flow ?? '', quotaGB: bytesToGb(c.totalGB ?? 0),
    limitIp: c.limitIp ?? 0, reset: c.reset ?? 0, subId: c.subId ?? '', comment: c.comment ?? '', enable: c.enable ?? true,
    tgId: c.tgId ? String(c.tgId) : '',
    expiryMode: exp < 0 ? 'after' : exp > 0 ? 'date' : 'never',
    expiryDate: exp > 0 ? dayjs(exp) : undefined, afterDays: exp < 0 ? Math.round(-exp / 86400000) : 30,
  }
}

export function expiryOf(v: ClientFormValues): number {
  return v.expiryMode === 'date' ? (v.expiryDate?.valueOf() ?? 0) : v.expiryMode === 'after' ? -v.afterDays * 86400000 : 0
}

const usesPassword = (protocol: string) => protocol === 'trojan' || protocol === 'shadowsocks'

// applyClientForm: a new client is built from the form (only the key its
// protocol uses); an edit changes only what differs from base.
export function applyClientForm(c: Obj, base: ClientFormValues, v: ClientFormValues, protocol: string, isNew: boolean): Obj {
  const tg = String(v.tgId ?? '').trim()
  if (isNew) {
    const out: Obj = {
      ...c, email: v.email.trim(), flow: v.flow ?? '', totalGB: gbToBytes(v.quotaGB ?? 0), expiryTime: expiryOf(v), limitIp: v.limitIp ?? 0,
      subId: v.subId, reset: v.reset ?? 0, comment: v.comment ?? '', enable: v.enable,
    }
    if (usesPassword(protocol)) { out.password = v.password; delete out.id } else { out.id = v.id; delete out.password }
    if (protocol !== 'vless') delete out.flow
    // tgId binds the client to a Telegram user; stored as a number like 3x-ui.
    if (tg) out.tgId = Number(tg); else delete out.tgId
    return out
  }
  const out: Obj = { ...c }
  const ch = (k: keyof ClientFormValues) => v[k] !== undefined && JSON.stringify(v[k]) !== JSON.stringify(base[k])
  if (ch('email')) out.email = v.email.trim()
  if (usesPassword(protocol) ? ch('password') : ch('id')) { if (usesPassword(protocol)) out.password = v.password; else out.id = v.id }
  if (protocol === 'vless' && ch('flow')) out.flow = v.flow ?? ''
  if (ch('quotaGB')) out.totalGB = gbToBytes(v.quotaGB ?? 0)
  if (ch('expiryMode') || (v.expiryMode === 'date' && v.expiryDate?.valueOf() !== base.expiryDate?.valueOf()) || (v.expiryMode === 'after' && ch('afterDays'))) out.expiryTime = expiryOf(v)
  if (ch('limitIp')) out.limitIp = v.limitIp ?? 0
  if (ch('reset')) out.reset = v.reset ?? 0
  if (ch('subId')) out.subId = v.subId
  if (ch('comment')) out.comment = v.comment ?? ''
  if (ch('enable')) out.enable = v.enable
  if (ch('tgId')) { if (tg) out.tgId = Number(tg); else delete out.tgId }
  return out
}

// storedClient is the client as its inbound stores it: clients/get answers
// with the typed fields only, and the inbound's JSON also holds what 3x-ui
// or a script put there (created_at, updated_at, security, ...), which an
// edit must keep.
export function storedClient(d: { inbound: { settings?: unknown }; client: Obj }): Obj {
  try {
    const s = typeof d.inbound.settings === 'string' ? JSON.parse(d.inbound.settings) : d.inbound.settings
    const email = String(d.client.email ?? '').toLowerCase()
    const raw = (s?.clients ?? []).find((x: Obj) => String(x?.email ?? '').toLowerCase() === email)
    return raw ? { ...d.client, ...raw } : d.client
  } catch { return d.client }
}
