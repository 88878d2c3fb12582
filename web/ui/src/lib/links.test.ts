import { describe, it, expect } from 'vitest'
import { shareLink, streamParams, subscriptionLink, b64 } from './links'

const reality = {
  network: 'tcp', security: 'reality',
  realitySettings: { serverNames: ['www.example.com'], shortIds: ['ab12', ''], privateKey: 'priv', settings: { publicKey: 'PUB', fingerprint: 'firefox', spiderX: '/' } },
}

describe('share links', () => {
  it('vless + reality', () => {
    const l = shareLink({ protocol: 'vless', port: 443, remark: 'r1', settings: { decryption: 'none' }, streamSettings: reality },
      { id: 'u-1', email: 'alice', flow: 'xtls-rprx-vision' }, '1.2.3.4')
    const u = new URL(l)
    expect(u.protocol).toBe('vless:')
    expect(u.username).toBe('u-1')
    expect(u.host).toBe('1.2.3.4:443')
    expect(u.searchParams.get('security')).toBe('reality')
    expect(u.searchParams.get('pbk')).toBe('PUB')
    expect(u.searchParams.get('sid')).toBe('ab12')
    expect(u.searchParams.get('sni')).toBe('www.example.com')
    expect(u.searchParams.get('fp')).toBe('firefox')
    expect(u.searchParams.get('flow')).toBe('xtls-rprx-vision')
    expect(u.searchParams.get('encryption')).toBe('none')
    expect(decodeURIComponent(u.hash.slice(1))).toBe('r1-alice')
  })
  it('percent-encodes a Unicode email in the remark', () => {
    const l = shareLink({ protocol: 'vless', port: 443, remark: 'r1', settings: { decryption: 'none' }, streamSettings: reality },
      { id: 'u-1', email: 'ирина@example' }, '1.2.3.4')
    const frag = l.split('#')[1]
    expect(frag).toBe('r1-%D0%B8%D1%80%D0%B8%D0%BD%D0%B0%40example')
    expect(decodeURIComponent(new URL(l).hash.slice(1))).toBe('r1-ирина@example')
  })
  it('brackets IPv6 hosts', () => {
    const l = shareLink({ protocol: 'trojan', port: 8443, settings: '{}', streamSettings: '{"network":"ws","security":"tls","wsSettings":{"path":"/w","host":"h.example"},"tlsSettings":{"serverName":"s.example"}}' },
      { password: 'p@ss', email: 'bob' }, '2001:db8::1')
    expect(l.startsWith('trojan://p%40ss@[2001:db8::1]:8443?')).toBe(true)
    const q = new URLSearchParams(l.split('?')[1].split('#')[0])
    expect(q.get('type')).toBe('ws'); expect(q.get('path')).toBe('/w'); expect(q.get('host')).toBe('h.example'); expect(q.get('sni')).toBe('s.example')
  })
  it('vmess is base64 JSON', () => {
    const l = shareLink({ protocol: 'vmess', port: 1000, remark: 'm', settings: '{}', streamSettings: '{"network":"grpc","grpcSettings":{"serviceName":"svc"}}' },
      { id: 'vm-id', email: 'carol' }, 'h')
    const v = JSON.parse(atob(l.slice('vmess://'.length)))
    expect(v).toMatchObject({ v: '2', add: 'h', port: '1000', id: 'vm-id', net: 'grpc', path: 'svc', ps: 'm-carol' })
  })
  it('shadowsocks 2022 joins server and user keys', () => {
    const l = shareLink({ protocol: 'shadowsocks', port: 9000, settings: { method: '2022-blake3-aes-128-gcm', password: 'SRV' }, streamSettings: '{"network":"tcp","security":"none"}' },
      { password: 'USR', email: 'dan' }, 'h')
    const user = l.slice('ss://'.length, l.indexOf('@'))
    expect(atob(user)).toBe('2022-blake3-aes-128-gcm:SRV:USR')
    expect(l).not.toContain('?')
  })
  it('transports carry their parameters', () => {
    expect(streamParams({ network: 'xhttp', xhttpSettings: { path: '/x', mode: 'packet-up' } }).get('mode')).toBe('packet-up')
    expect(streamParams({ network: 'httpupgrade', httpupgradeSettings: { path: '/u' } }).get('path')).toBe('/u')
    expect(streamParams({}).get('type')).toBe('tcp')
  })
  it('subscription links', () => {
    expect(subscriptionLink('abc', 'sub.example', 2096, '/sub/')).toBe('http://sub.example:2096/sub/abc')
    expect(subscriptionLink('a b', 'sub.example', 443, '/s', true)).toBe('https://sub.example/s/a%20b')
    expect(b64('中')).toBe('5Lit')
  })
})
