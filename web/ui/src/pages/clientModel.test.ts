import { describe, it, expect } from 'vitest'
import dayjs from 'dayjs'
import { clientInitial, applyClientForm, storedClient } from './clientModel'

// A client as a v3 inbound's JSON copy holds it: both credentials, fields
// the form does not show, a quota the form shows rounded.
const stored = {
  id: '5b2c1d0e-9f8a-4b7c-8d6e-1f2a3b4c5d6e', password: 'kilkP/j2wBGaQspfaUe+tw==', auth: 'e23263f9', flow: '', email: 'mallory@dev3',
  totalGB: 10737418241, expiryTime: 1893456000000, limitIp: 2, subId: 'sub-1', tgId: 222222222, comment: 'night shift', enable: true,
  group: 'staff', created_at: 1764640000000, updated_at: 1764640000001,
}

describe('applyClientForm (lossless client edits)', () => {
  it('an unchanged save returns the stored client, for every protocol', () => {
    for (const p of ['vless', 'vmess', 'trojan', 'shadowsocks']) {
      const base = clientInitial(stored, 3)
      expect(applyClientForm(stored, base, { ...base }, p, false)).toEqual(stored)
    }
  })
  it('a changed comment changes the comment only', () => {
    const base = clientInitial(stored, 3)
    expect(applyClientForm(stored, base, { ...base, comment: 'day shift' }, 'trojan', false)).toEqual({ ...stored, comment: 'day shift' })
  })
  it('quota and expiry are written when changed, exactly', () => {
    const base = clientInitial(stored, 3)
    const out = applyClientForm(stored, base, { ...base, quotaGB: 20, expiryMode: 'after', afterDays: 7 }, 'vmess', false)
    expect(out.totalGB).toBe(20 * 1024 ** 3)
    expect(out.expiryTime).toBe(-7 * 86400000)
    const d = dayjs(1900000000000)
    expect(applyClientForm(stored, base, { ...base, expiryDate: d }, 'vmess', false).expiryTime).toBe(1900000000000)
  })
  it('clearing the Telegram ID removes it', () => {
    const base = clientInitial(stored, 3)
    expect('tgId' in applyClientForm(stored, base, { ...base, tgId: '' }, 'vless', false)).toBe(false)
  })
  it('a new client carries only its protocol key', () => {
    const c = { email: '', id: 'u', password: 'p', flow: '', totalGB: 0, expiryTime: 0, limitIp: 0, subId: 's', reset: 0, comment: '', enable: true }
    const base = clientInitial(c)
    const out = applyClientForm(c, base, { ...base, email: ' new@x ', password: 'k', quotaGB: 1 }, 'shadowsocks', true)
    expect(out).toMatchObject({ email: 'new@x', password: 'k', totalGB: 1024 ** 3 })
    expect(out.id).toBeUndefined()
    expect(out.flow).toBeUndefined()
  })
})

describe('storedClient', () => {
  it('is the inbound JSON copy, with the fields clients/get leaves out', () => {
    const raw = { email: 'Alice@up', id: 'u', created_at: 1, updated_at: 2, security: '' }
    const d = { inbound: { settings: JSON.stringify({ clients: [{ email: 'bob@up' }, raw] }) }, client: { email: 'alice@up', id: 'u', reset: 0 } }
    expect(storedClient(d)).toEqual({ email: 'Alice@up', id: 'u', reset: 0, created_at: 1, updated_at: 2, security: '' })
    expect(storedClient({ inbound: { settings: 'not json' }, client: { email: 'x' } })).toEqual({ email: 'x' })
  })
})
