import { randomShortId, randomBase64Key, ssKeyBytes } from '../lib/validate'

// InboundForm is the flat form state the inbound editor works on; toInbound
// builds a new inbound from it, fromInbound reads a stored one, and
// applyForm writes only the fields the admin changed onto a copy of the
// stored inbound, so anything the form does not show survives an edit.
export interface InboundFormValues {
  remark: string; enable: boolean; listen: string; port: number; protocol: string; totalGB: number
  network: string; security: string; path: string; host: string; serviceName: string; mode: string
  sni: string; certFile: string; keyFile: string; fingerprint: string
  target: string; serverNames: string; privateKey: string; publicKey: string; shortIds: string; spiderX: string
  method: string; ssPassword: string
}

export const protocols = ['vless', 'vmess', 'trojan', 'shadowsocks']
export const networks = ['tcp', 'ws', 'grpc', 'httpupgrade', 'xhttp']
export const securities = ['none', 'tls', 'reality']
export const fingerprints = ['chrome', 'firefox', 'safari', 'ios', 'android', 'edge', '360', 'qq', 'random', 'randomized']
export const ssMethods = ['2022-blake3-aes-128-gcm', '2022-blake3-aes-256-gcm', '2022-blake3-chacha20-poly1305', 'aes-256-gcm', 'aes-128-gcm', 'chacha20-poly1305']

export function defaults(): InboundFormValues {
  return {
    remark: '', enable: true, listen: '', port: 10000 + Math.floor(Math.random() * 50000), protocol: 'vless', totalGB: 0,
    network: 'tcp', security: 'none', path: '/', host: '', serviceName: '', mode: 'auto',
    sni: '', certFile: '', keyFile: '', fingerprint: 'chrome',
    target: 'www.example.com:443', serverNames: 'www.example.com', privateKey: '', publicKey: '', shortIds: randomShortId(8) + ',' + randomShortId(4), spiderX: '/',
    method: '2022-blake3-aes-128-gcm', ssPassword: randomBase64Key(16),
  }
}

const list = (s: string) => s.split(',').map((x) => x.trim()).filter((x, i, a) => x !== '' || a.length === 1)

export function streamOf(v: InboundFormValues): Record<string, any> {
  const s: Record<string, any> = { network: v.network, security: v.security }
  switch (v.network) {
    case 'tcp': s.tcpSettings = { header: { type: 'none' } }; break
    case 'ws': s.wsSettings = { path: v.path || '/', host: v.host }; break
    case 'grpc': s.grpcSettings = { serviceName: v.serviceName }; break
    case 'httpupgrade': s.httpupgradeSettings = { path: v.path || '/', host: v.host }; break
    case 'xhttp': s.xhttpSettings = { path: v.path || '/', host: v.host, mode: v.mode || 'auto' }; break
  }
  if (v.security === 'tls') {
    s.tlsSettings = { serverName: v.sni, certificates: [{ certificateFile: v.certFile, keyFile: v.keyFile }], alpn: ['h2', 'http/1.1'], settings: { fingerprint: v.fingerprint } }
  } else if (v.security === 'reality') {
    s.realitySettings = {
      show: false, target: v.target, xver: 0, serverNames: list(v.serverNames), privateKey: v.privateKey, shortIds: list(v.shortIds),
      settings: { publicKey: v.publicKey, fingerprint: v.fingerprint, serverName: list(v.serverNames)[0] ?? '', spiderX: v.spiderX },
    }
  }
  return s
}

export function settingsOf(v: InboundFormValues, clients: unknown[] = []): Record<string, any> {
  switch (v.protocol) {
    case 'vless': return { clients, decryption: 'none' }
    case 'shadowsocks': return { clients, method: v.method, ...(ssKeyBytes(v.method) ? { password: v.ssPassword } : {}), network: 'tcp,udp' }
    default: return { clients }
  }
}

export function toInbound(v: InboundFormValues, clients: unknown[] = []) {
  return {
    remark: v.remark, enable: v.enable, listen: v.listen, port: Number(v.port), protocol: v.protocol,
    total: Math.round((v.totalGB || 0) * 1024 ** 3), expiryTime: 0,
    settings: JSON.stringify(settingsOf(v, clients)), streamSettings: JSON.stringify(streamOf(v)),
    sniffing: JSON.stringify({ enabled: true, destOverride: ['http', 'tls', 'quic'] }),
  }
}

export function fromInbound(inb: any): InboundFormValues {
  const d = defaults()
  const st = typeof inb.streamSettings === 'string' ? JSON.parse(inb.streamSettings || '{}') : inb.streamSettings ?? {}
  const se = typeof inb.settings === 'string' ? JSON.parse(inb.settings || '{}') : inb.settings ?? {}
  const net = st.network || 'tcp'
  const ns = st[net + 'Settings'] ?? {}
  const tls = st.tlsSettings ?? {}, r = st.realitySettings ?? {}
  return {
    ...d, remark: inb.remark ?? '', enable: !!inb.enable, listen: inb.listen ?? '', port: inb.port, protocol: inb.protocol,
    totalGB: (inb.total ?? 0) / 1024 ** 3, network: net, security: st.security || 'none',
    path: ns.path ?? '/', host: ns.host ?? ns.headers?.Host ?? '', serviceName: ns.serviceName ?? '', mode: ns.mode ?? 'auto',
    sni: tls.serverName ?? '', certFile: tls.certificates?.[0]?.certificateFile ?? '', keyFile: tls.certificates?.[0]?.keyFile ?? '',
    fingerprint: r.settings?.fingerprint || tls.settings?.fingerprint || 'chrome',
    target: r.target ?? r.dest ?? d.target, serverNames: (r.serverNames ?? []).join(','), privateKey: r.privateKey ?? '',
    publicKey: r.settings?.publicKey ?? '', shortIds: (r.shortIds ?? []).join(','), spiderX: r.settings?.spiderX ?? '/',
    method: se.method ?? d.method, ssPassword: se.password ?? '',
  }
}

// A new server key when the method changes to one of another key size.
export function ssKeyFor(method: string, current: string): string {
  const n = ssKeyBytes(method)
  if (n === 0) return current
  try { if (atob(current).length === n) return current } catch { /* not base64: replace */ }
  return randomBase64Key(n)
}

type Obj = Record<string, any>
const parse = (s: unknown): Obj => { if (typeof s !== 'string') return (s as Obj) ?? {}; try { return JSON.parse(s || '{}') ?? {} } catch { return {} } }
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)
const obj = (o: Obj, k: string): Obj => (o[k] && typeof o[k] === 'object' ? o[k] : (o[k] = {}))

// applyForm returns stored with the form's changes (v against base, the
// form values read from stored) written onto a copy. Unchanged fields are
// not rewritten, and a JSON column nobody changed keeps its stored text.
export function applyForm<T extends Obj>(stored: T, base: InboundFormValues, v: InboundFormValues): T {
  const out: Obj = { ...stored }
  const ch = (k: keyof InboundFormValues) => !same(v[k], base[k])
  if (ch('remark')) out.remark = v.remark
  if (ch('enable')) out.enable = v.enable
  if (ch('listen')) out.listen = v.listen
  if (ch('port')) out.port = Number(v.port)
  if (ch('totalGB')) out.total = Math.round((v.totalGB || 0) * 1024 ** 3)

  const se = parse(stored.settings)
  let seChanged = false
  if (v.protocol === 'shadowsocks') {
    if (ch('method')) { se.method = v.method; seChanged = true }
    if (ch('ssPassword')) { se.password = v.ssPassword; seChanged = true }
  }
  if (seChanged) out.settings = typeof stored.settings === 'string' ? JSON.stringify(se) : se

  const st = parse(stored.streamSettings)
  let stChanged = false
  const set = (o: Obj, k: string, val: unknown) => { o[k] = val; stChanged = true }
  if (ch('network')) {
    set(st, 'network', v.network)
    if (!st[v.network + 'Settings']) st[v.network + 'Settings'] = streamOf(v)[v.network + 'Settings'] ?? {}
  }
  const ns = () => obj(st, v.network + 'Settings')
  if (ch('path')) set(ns(), 'path', v.path || '/')
  if (ch('host')) {
    const n = ns()
    if (n.host === undefined && n.headers?.Host !== undefined) set(n.headers, 'Host', v.host); else set(n, 'host', v.host)
  }
  if (ch('mode')) set(ns(), 'mode', v.mode)
  if (ch('serviceName')) set(ns(), 'serviceName', v.serviceName)
  if (ch('security')) {
    set(st, 'security', v.security)
    const key = v.security + 'Settings'
    if (v.security !== 'none' && !st[key]) st[key] = streamOf(v)[key]
  }
  if (v.security === 'tls') {
    const tls = obj(st, 'tlsSettings')
    if (ch('sni')) set(tls, 'serverName', v.sni)
    if (ch('certFile') || ch('keyFile')) {
      if (!Array.isArray(tls.certificates) || !tls.certificates.length) tls.certificates = [{}]
      if (ch('certFile')) set(tls.certificates[0], 'certificateFile', v.certFile)
      if (ch('keyFile')) set(tls.certificates[0], 'keyFile', v.keyFile)
    }
    if (ch('fingerprint')) set(obj(tls, 'settings'), 'fingerprint', v.fingerprint)
  }
  if (v.security === 'reality') {
    const r = obj(st, 'realitySettings')
    if (ch('target')) { set(r, 'target', v.target); delete r.dest }
    if (ch('serverNames')) { set(r, 'serverNames', list(v.serverNames)); set(obj(r, 'settings'), 'serverName', list(v.serverNames)[0] ?? '') }
    if (ch('privateKey')) set(r, 'privateKey', v.privateKey)
    if (ch('publicKey')) set(obj(r, 'settings'), 'publicKey', v.publicKey)
    if (ch('shortIds')) set(r, 'shortIds', list(v.shortIds))
    if (ch('spiderX')) set(obj(r, 'settings'), 'spiderX', v.spiderX)
    if (ch('fingerprint')) set(obj(r, 'settings'), 'fingerprint', v.fingerprint)
  }
  if (stChanged) out.streamSettings = typeof stored.streamSettings === 'string' ? JSON.stringify(st) : st
  return out as T
}
