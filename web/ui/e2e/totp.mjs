// RFC 6238 TOTP (SHA-1, 6 digits, 30 s steps) from a base32 secret, so the
// browser tests can answer the panel's two-factor prompt like an app would.
import { createHmac } from 'node:crypto'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

export function base32Decode(s) {
  const clean = s.toUpperCase().replace(/[\s=]/g, '')
  let bits = 0, value = 0
  const out = []
  for (const ch of clean) {
    const i = ALPHABET.indexOf(ch)
    if (i < 0) throw new Error(`not base32: ${JSON.stringify(ch)}`)
    value = (value << 5) | i
    bits += 5
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 0xff); bits -= 8 }
  }
  return Buffer.from(out)
}

export function totp(secret, ms = Date.now()) {
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(ms / 1000 / 30)))
  const h = createHmac('sha1', base32Decode(secret)).update(counter).digest()
  const off = h[h.length - 1] & 0x0f
  const n = ((h[off] & 0x7f) << 24) | (h[off + 1] << 16) | (h[off + 2] << 8) | h[off + 3]
  return String(n % 1_000_000).padStart(6, '0')
}

// RFC 6238 appendix B: the SHA-1 secret "12345678901234567890" at T=59 s
// gives 94287082, whose last six digits a 6-digit app shows.
export function selfCheck() {
  const got = totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 59_000)
  if (got !== '287082') throw new Error(`TOTP self-check: got ${got}, want 287082`)
}
