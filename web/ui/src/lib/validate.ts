// Form validators: each returns an error message key, or '' when valid.
export function validPort(v: unknown): string {
  const n = Number(v)
  if (v === '' || v === undefined || v === null) return 'v.required'
  if (!Number.isInteger(n) || n < 1 || n > 65535) return 'v.port'
  return ''
}

const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export function validUUID(v: string): string { return uuidRe.test(v.trim()) ? '' : 'v.uuid' }

// Emails are free-form names in any script (ирина@example), as in 3x-ui v3:
// no space, control or format character, '/', '\\' or '>' (the server names
// Xray's stats counters user>>>EMAIL>>>…), at most 128 characters.
export function validEmail(v: string): string {
  const s = v.trim()
  if (!s) return 'v.required'
  if (/[\s\p{Cc}\p{Cf}/\\>]/u.test(s) || [...s].length > 128) return 'v.email'
  return ''
}

export function validShortId(v: string): string {
  return /^([0-9a-f]{2}){0,8}$/i.test(v) ? '' : 'v.shortId'
}

export function validJSON(v: string): string {
  try { JSON.parse(v); return '' } catch { return 'v.json' }
}

export function randomShortId(len = 8): string {
  const b = new Uint8Array(len / 2)
  crypto.getRandomValues(b)
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}

export function randomUUID(): string {
  if (crypto.randomUUID) return crypto.randomUUID()
  const b = new Uint8Array(16); crypto.getRandomValues(b)
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

export function randomPassword(len = 16): string {
  const b = new Uint8Array(len); crypto.getRandomValues(b)
  const abc = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'
  return Array.from(b, (x) => abc[x % abc.length]).join('')
}

// A client's tgId (3x-ui's field): empty, or a Telegram user/chat id,
// an integer (groups are negative) that a JSON number holds exactly.
export function validTgId(v: unknown): string {
  const s = String(v ?? '').trim()
  if (s === '') return ''
  return /^-?[1-9]\d*$/.test(s) && Number.isSafeInteger(Number(s)) ? '' : 'v.tgId'
}
