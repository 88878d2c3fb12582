import { describe, it, expect } from 'vitest'
import { panelURL, isNetKey } from './panel'

const base = { webListen: '', webPort: 2053, webBasePath: '/', webCertFile: '', webKeyFile: '', sessionMaxAge: 60 }

describe('panelURL', () => {
  it('keeps the current host for an any-address listen', () => {
    expect(panelURL(base, { hostname: 'vpn.example.com' })).toBe('http://vpn.example.com:2053/')
    expect(panelURL({ ...base, webListen: '0.0.0.0', webPort: 8443, webBasePath: 'p' }, { hostname: 'h' })).toBe('http://h:8443/p/')
  })
  it('uses a specific listen address, bracketing IPv6', () => {
    expect(panelURL({ ...base, webListen: '10.0.0.2' }, { hostname: 'h' })).toBe('http://10.0.0.2:2053/')
    expect(panelURL({ ...base, webListen: '2001:db8::1' }, { hostname: 'h' })).toBe('http://[2001:db8::1]:2053/')
  })
  it('is https only with both a certificate and a key', () => {
    expect(panelURL({ ...base, webCertFile: '/c' }, { hostname: 'h' })).toBe('http://h:2053/')
    expect(panelURL({ ...base, webCertFile: '/c', webKeyFile: '/k', webBasePath: '/x/' }, { hostname: 'h' })).toBe('https://h:2053/x/')
  })
  it('knows the panel keys', () => {
    expect(isNetKey('webPort')).toBe(true)
    expect(isNetKey('subPort')).toBe(false)
  })
})
