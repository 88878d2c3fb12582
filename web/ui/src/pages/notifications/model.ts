// Pure logic of the Notifications page: server shapes, the field a server
// message names, and the "which events go where" matrix's rules.

// KindInfo is one row of GET notify/kinds: where events of that kind can
// go, as the dispatcher decides: email and telegram say whether
// smtpEnabledEvents and tgEnabledEvents may list it; telegramAlso names a
// second setting Telegram needs on for it (tgBotLoginNotify).
export interface KindInfo { kind: string; email: boolean; telegram: boolean; telegramAlso?: string }
export interface Webhook { id: number; url: string; events: string[]; enabled: boolean; created: number; secret?: string }
export interface Delivery {
  id: number; eventId: string; eventSeq: number; webhookId: number; kind: string; status: 'pending' | 'delivered' | 'failed'
  attempts: number; nextAttemptAt: number; lastStatus: number; lastError: string; deliveredAt: number; createdAt: number
}
export interface EventRow { id: string; kind: string; time: string; nodeId?: string; payload: unknown }
export interface PageOf<T> { total: number; items: T[] }

// The outbox's targets that are not webhooks (notify.EmailTarget, TelegramTarget).
export const EMAIL_TARGET = -1
export const TELEGRAM_TARGET = -2

// fieldOf is the setting or field a server message starts with
// ("smtpHost: does not resolve" -> "smtpHost") when it is one of fields.
export function fieldOf(msg: string, fields: readonly string[]): string | undefined {
  const m = /^([A-Za-z][\w]*): /.exec(msg)
  return m && fields.includes(m[1]) ? m[1] : undefined
}

// 3x-ui v3's kind names that the server reads as ours (settings.EmailEvents):
// a stored v3 list must show the boxes the server acts on.
const v3Kinds: Record<string, string> = { 'login.attempt': 'login.failed', 'xray.crash': 'xray.crashed', 'node.down': 'node.stale', 'node.up': 'node.back' }

// parseEvents reads a comma list (smtpEnabledEvents, tgEnabledEvents),
// v3 names as ours, each once.
export function parseEvents(csv: unknown): string[] {
  return [...new Set(String(csv ?? '').split(',').map((s) => s.trim()).filter(Boolean).map((k) => v3Kinds[k] ?? k))]
}

// joinEvents writes kinds as a comma list in the server's kind order.
export function joinEvents(list: string[], order: string[]): string {
  return order.filter((k) => list.includes(k)).join(',')
}

// The kinds an admin subscribes to ("test" is only ever sent on request).
export function subscribable(kinds: KindInfo[]): string[] { return kinds.map((k) => k.kind).filter((k) => k !== 'test') }

export function subscribes(events: string[], kind: string): boolean { return events.includes('*') || events.includes(kind) }

// withKind is a webhook's events with kind switched on or off. "*" (every
// kind, future ones too) stays while everything stays on; switching one
// off lists the others instead.
export function withKind(events: string[], kind: string, on: boolean, all: string[]): string[] {
  const cur = events.includes('*') ? all : events.filter((k) => all.includes(k))
  const next = on ? [...new Set([...cur, kind])] : cur.filter((k) => k !== kind)
  if (events.includes('*') && all.every((k) => next.includes(k))) return ['*']
  return all.filter((k) => next.includes(k))
}

// telegramGets says whether the bot sends kind, given tgEnabledEvents
// and tgBotLoginNotify.
export function telegramGets(k: KindInfo, events: string[], loginNotify: boolean): boolean {
  return k.telegram && events.includes(k.kind) && (k.telegramAlso !== 'tgBotLoginNotify' || loginNotify)
}

// setTelegram switches kind for Telegram. A kind that also needs
// tgBotLoginNotify switches it too, so the list and the switch never
// disagree (listed but silenced, or on but unlisted).
export function setTelegram(k: KindInfo, on: boolean, events: string[], loginNotify: boolean): { events: string[]; loginNotify: boolean } {
  const next = on ? [...new Set([...events, k.kind])] : events.filter((e) => e !== k.kind)
  return { events: next, loginNotify: k.telegramAlso === 'tgBotLoginNotify' ? on : loginNotify }
}

// targetOf names a delivery's target: 'email', 'telegram' or the webhook's URL.
export function targetOf(webhookId: number, hooks: Webhook[]): string {
  if (webhookId === EMAIL_TARGET) return 'email'
  if (webhookId === TELEGRAM_TARGET) return 'telegram'
  return hooks.find((h) => h.id === webhookId)?.url ?? `#${webhookId}`
}

// randomSecret is a webhook secret: 32 random bytes as 64 hex digits.
export function randomSecret(): string {
  const b = new Uint8Array(32); crypto.getRandomValues(b)
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}

// kindKey is a kind's translation key: "login.failed" -> "loginFailed".
export function kindKey(kind: string): string { return kind.replace(/\.(\w)/g, (_m, c: string) => c.toUpperCase()) }

// msTime shows a unix-millisecond time, '' for 0.
export function msTime(ms: number): string { return ms > 0 ? new Date(ms).toLocaleString() : '' }
