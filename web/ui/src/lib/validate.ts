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

// Shadowsocks-2022 keys are base64 of exactly the cipher's key size; the
// older methods take any password. 0: not a 2022 method.
export function ssKeyBytes(method: string): number {
  switch (method) {
    case '2022-blake3-aes-128-gcm': return 16
    case '2022-blake3-aes-256-gcm': case '2022-blake3-chacha20-poly1305': return 32
    default: return 0
  }
}

export function randomBase64Key(bytes: number): string {
  const b = new Uint8Array(bytes); crypto.getRandomValues(b)
  return btoa(String.fromCharCode(...b))
}

// validSSKey checks a Shadowsocks password (server key or a user's key)
// against method: Xray refuses a 2022 key of another size at start.
export function validSSKey(method: string, v: unknown): string {
  const s = String(v ?? '').trim()
  const n = ssKeyBytes(method)
  if (!s) return 'v.required'
  if (n === 0) return ''
  try {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s) || atob(s).length !== n) return n === 16 ? 'form.ssKey16' : 'form.ssKey32'
  } catch { return n === 16 ? 'form.ssKey16' : 'form.ssKey32' }
  return ''
}

// validQuotaGB checks a quota in GB: empty or 0 is unlimited, negative is
// refused (it is not "unlimited"), and the byte count must fit a JSON
// integer the server stores exactly.
export function validQuotaGB(v: unknown): string {
  if (v === '' || v === undefined || v === null) return ''
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0) return 'form.quota'
  if (Math.round(n * 1024 ** 3) > Number.MAX_SAFE_INTEGER) return 'form.quotaMax'
  return ''
}

// validCount checks a non-negative whole number (IP limit, renew days).
export function validCount(v: unknown): string {
  if (v === '' || v === undefined || v === null) return ''
  const n = Number(v)
  return Number.isSafeInteger(n) && n >= 0 ? '' : 'form.count'
}
