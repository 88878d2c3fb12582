import { describe, it, expect } from 'vitest'
import { applyForm, fromInbound, toInbound, defaults, ssKeyFor } from './inboundModel'
import { validQuotaGB, validSSKey, validCount, randomBase64Key, ssKeyBytes } from '../lib/validate'
import { serverError } from '../lib/serverError'

// A stored inbound as a 3x-ui database holds it: fields the form does not
// show (a custom header, v3's columns, sniffing, fallbacks, an expiry).
const stored = {
  id: 7, remark: 'old', enable: true, listen: '', port: 28080, protocol: 'vmess', up: 5, down: 6, total: 107374182400,
  expiryTime: 1893456000000, tag: 'inbound-28080', trafficReset: 'monthly', subSortIndex: 3, shareAddrStrategy: 'node',
  settings: '{\n  "clients": [{"id": "0b4f…", "email": "erin@up", "limitIp": 2, "comment": "vip", "tgId": 111}],\n  "disableInsecureEncryption": false\n}',
  streamSettings: '{"network":"ws","security":"none","externalProxy":[{"dest":"cdn.example","port":443}],"wsSettings":{"acceptProxyProtocol":false,"path":"/ws","host":"","headers":{"X-Custom":"1"},"heartbeatPeriod":0},"sockopt":{"tcpFastOpen":true}}',
  sniffing: '{"enabled":true,"destOverride":["http","tls"],"metadataOnly":false,"routeOnly":true}',
}

describe('applyForm (lossless edits)', () => {
  it('saving without changes returns the stored inbound unchanged, text for text', () => {
    const base = fromInbound(stored)
    expect(applyForm(stored, base, { ...base })).toEqual(stored)
  })
  it('renaming changes the remark only: expiry, quota, headers and unknown fields stay', () => {
    const base = fromInbound(stored)
    const out = applyForm(stored, base, { ...base, remark: 'new name' })
    expect(out).toEqual({ ...stored, remark: 'new name' })
    expect(out.expiryTime).toBe(1893456000000)
  })
  it('a changed path is written into the stored stream settings, keeping its other keys', () => {
    const base = fromInbound(stored)
    const out = applyForm(stored, base, { ...base, path: '/new' })
    const before = JSON.parse(stored.streamSettings), after = JSON.parse(out.streamSettings)
    expect(after).toEqual({ ...before, wsSettings: { ...before.wsSettings, path: '/new' } })
    expect(out.settings).toBe(stored.settings)
    expect(out.sniffing).toBe(stored.sniffing)
  })
  it('a changed quota is written; a rounded quota shown but not changed is not', () => {
    const odd = { ...stored, total: 10737418241 }
    const base = fromInbound(odd)
    expect(applyForm(odd, base, { ...base }).total).toBe(10737418241)
    expect(applyForm(odd, base, { ...base, totalGB: 20 }).total).toBe(20 * 1024 ** 3)
  })
  it('switching the security to TLS adds tlsSettings without dropping the rest', () => {
    const base = fromInbound(stored)
    const out = applyForm(stored, base, { ...base, security: 'tls', sni: 'a.example', certFile: '/c.pem', keyFile: '/k.pem' })
    const st = JSON.parse(out.streamSettings)
    expect(st.security).toBe('tls')
    expect(st.tlsSettings.serverName).toBe('a.example')
    expect(st.tlsSettings.certificates[0]).toEqual({ certificateFile: '/c.pem', keyFile: '/k.pem' })
    expect(st.wsSettings.headers).toEqual({ 'X-Custom': '1' })
    expect(st.sockopt).toEqual({ tcpFastOpen: true })
  })
  it('v3 objects (not strings) stay objects', () => {
    const v3 = { ...stored, settings: JSON.parse(stored.settings), streamSettings: JSON.parse(stored.streamSettings) }
    const base = fromInbound(v3)
    const out = applyForm(v3, base, { ...base, host: 'h.example' })
    expect(out.streamSettings.wsSettings.host).toBe('h.example')
    expect(out.settings).toBe(v3.settings)
  })
})

describe('Shadowsocks-2022', () => {
  it('a new 2022 inbound carries a server key of the method size', () => {
    const v = { ...defaults(), protocol: 'shadowsocks', method: '2022-blake3-aes-256-gcm' }
    v.ssPassword = ssKeyFor(v.method, 'short')
    const s = JSON.parse(toInbound(v).settings)
    expect(s.method).toBe('2022-blake3-aes-256-gcm')
    expect(atob(s.password).length).toBe(32)
    expect(validSSKey(s.method, s.password)).toBe('')
  })
  it('older ciphers carry no server key', () => {
    const s = JSON.parse(toInbound({ ...defaults(), protocol: 'shadowsocks', method: 'aes-256-gcm' }).settings)
    expect(s.password).toBeUndefined()
  })
  it('keys are checked against the method size', () => {
    expect(ssKeyBytes('2022-blake3-aes-128-gcm')).toBe(16)
    expect(ssKeyBytes('2022-blake3-chacha20-poly1305')).toBe(32)
    expect(validSSKey('2022-blake3-aes-128-gcm', randomBase64Key(16))).toBe('')
    expect(validSSKey('2022-blake3-aes-128-gcm', randomBase64Key(32))).toBe('form.ssKey16')
    expect(validSSKey('2022-blake3-aes-256-gcm', 'abcdefghijklmnop')).toBe('form.ssKey32')
    expect(validSSKey('2022-blake3-aes-256-gcm', '')).toBe('v.required')
    expect(validSSKey('aes-256-gcm', 'any password')).toBe('')
    const k = randomBase64Key(16)
    expect(ssKeyFor('2022-blake3-aes-128-gcm', k)).toBe(k)
    expect(atob(ssKeyFor('2022-blake3-aes-256-gcm', k)).length).toBe(32)
  })
})

describe('values checked, not coerced', () => {
  it('a negative quota is refused, not saved as unlimited', () => {
    expect(validQuotaGB(-5)).toBe('form.quota')
    expect(validQuotaGB(0)).toBe('')
    expect(validQuotaGB(null)).toBe('')
    expect(validQuotaGB(50.5)).toBe('')
    expect(validQuotaGB(1e14)).toBe('form.quotaMax')
    expect(validCount(-1)).toBe('form.count')
    expect(validCount(1.5)).toBe('form.count')
    expect(validCount(3)).toBe('')
  })
  it('server errors map to the form field with a short text, the full one kept', () => {
    const fields = { totalGB: 'quotaGB', password: 'ssPassword', settings: 'settings' }
    expect(serverError('totalGB: must be a int64, got number 1.07e+23', fields)).toEqual({ field: 'quotaGB', short: 'must be a int64, got number 1.07e+23', full: 'totalGB: must be a int64, got number 1.07e+23' })
    const long = 'settings: Xray refused the config: ' + 'x'.repeat(300)
    const e = serverError(long, fields)
    expect(e.field).toBe('settings')
    expect(e.short.length).toBeLessThanOrEqual(140)
    expect(e.full).toBe(long)
    expect(serverError('settings.clients[0].password: bad key', fields).field).toBe('ssPassword')
    expect(serverError('something broke', fields)).toEqual({ field: '', short: 'something broke', full: 'something broke' })
  })
})

describe('Xray refusals', () => {
  it('are cut to their last cause', () => {
    const msg = 'sniffing: Xray refuses this config: xray rejected the config: main: failed to load config files: [/tmp/x.json] > infra/conf: failed to build inbound config with tag in-1 > infra/conf: failed to build sniffing config > infra/conf: unknown protocol: no-such-protocol'
    const e = serverError(msg, {})
    expect(e.short).toBe('Xray refuses this config: unknown protocol: no-such-protocol')
    expect(e.full).toBe(msg)
  })
})
