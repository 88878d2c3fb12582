import i18n, { intlLocale } from '../i18n'

// Display formatting follows the UI language (Intl: Persian digits and the
// Jalali calendar for fa, Russian separators); values sent to the server are
// never formatted. lng defaults to the current language.
function cur(lng?: string): string { return lng ?? i18n.language ?? 'en' }

export function formatNumber(n: number, maxDigits = 2, lng?: string): string {
  return new Intl.NumberFormat(intlLocale(cur(lng)), { maximumFractionDigits: maxDigits }).format(n)
}

// Human sizes in binary units, as 3x-ui shows them.
export function formatBytes(n: number, digits = 2, lng?: string): string {
  const units = i18n.t('fmt.units', { lng: cur(lng) }).split('|')
  if (!Number.isFinite(n) || n <= 0) return `${formatNumber(0, 0, lng)} ${units[0]}`
  let i = 0
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++ }
  return `${formatNumber(n, i === 0 ? 0 : digits, lng)} ${units[i]}`
}

// formatRate is a throughput: bytes per second.
export function formatRate(n: number, lng?: string): string { return i18n.t('fmt.perSecond', { v: formatBytes(n, 2, lng), lng: cur(lng) }) }

export const GB = 1024 * 1024 * 1024

export function gbToBytes(gb: number): number { return Math.round(gb * GB) }
export function bytesToGb(b: number): number { return Math.round((b / GB) * 100) / 100 }

// Expiry: 0 never, negative a duration starting at first use, else a date.
export type Expiry = { kind: 'never' } | { kind: 'afterFirstUse'; days: number } | { kind: 'date'; ms: number }

export function parseExpiry(ms: number): Expiry {
  if (!ms) return { kind: 'never' }
  if (ms < 0) return { kind: 'afterFirstUse', days: Math.round(-ms / 86400000) }
  return { kind: 'date', ms }
}

export function pad(n: number): string { return n < 10 ? '0' + n : String(n) }

// formatDate is a date and time to the minute: ISO-like in English (as
// before), the language's own calendar and digits otherwise.
export function formatDate(ms: number, lng?: string): string {
  const l = cur(lng)
  if (l === 'en') {
    const d = new Date(ms)
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
  }
  return new Intl.DateTimeFormat(intlLocale(l), { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms)
}

// formatClock is a time of day to the second (chart axes).
export function formatClock(ms: number, lng?: string): string {
  return new Intl.DateTimeFormat(intlLocale(cur(lng)), { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(ms)
}

// formatHourMinute is formatClock without the seconds (chart ticks a minute or more apart).
export function formatHourMinute(ms: number, lng?: string): string {
  return new Intl.DateTimeFormat(intlLocale(cur(lng)), { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms)
}

// formatDateTime is to the second, for logs and audit rows.
export function formatDateTime(ms: number, lng?: string): string {
  return new Intl.DateTimeFormat(intlLocale(cur(lng)), { dateStyle: 'medium', timeStyle: 'medium', hourCycle: 'h23' }).format(ms)
}

function dhm(d: number, h: number, m: number | null, lng?: string): string {
  const f = (n: number) => formatNumber(n, 0, lng), o = { lng: cur(lng) }
  if (m === null) return i18n.t('fmt.dh', { d: f(d), h: f(h), ...o })
  return d > 0 ? i18n.t('fmt.dhm', { d: f(d), h: f(h), m: f(m), ...o }) : i18n.t('fmt.hm', { h: f(h), m: f(m), ...o })
}

// remaining says how long until ms from now: "3d 4h", "5h 10m", or "expired"
// (a marker the caller translates).
export function remaining(ms: number, now = Date.now(), lng?: string): string {
  const left = ms - now
  if (left <= 0) return 'expired'
  const m = Math.floor(left / 60000), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60)
  if (d > 0) return dhm(d, h, null, lng)
  return dhm(0, h, m % 60, lng)
}

export function formatDuration(seconds: number, lng?: string): string {
  const d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600), m = Math.floor((seconds % 3600) / 60)
  return dhm(d, h, m, lng)
}

export function usagePercent(used: number, total: number): number {
  if (total <= 0) return 0
  return Math.min(100, Math.round((used / total) * 1000) / 10)
}

// formatPercent writes pct (0-100) with the language's digits and sign.
export function formatPercent(pct: number, lng?: string): string {
  return new Intl.NumberFormat(intlLocale(cur(lng)), { style: 'percent', maximumFractionDigits: 1 }).format(pct / 100)
}
