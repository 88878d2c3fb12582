import { randomShortId } from '../lib/validate'

// InboundForm is the flat form state the inbound editor works on; toJSON
// and fromInbound convert to and from the API's inbound.
export interface InboundFormValues {
  remark: string; enable: boolean; listen: string; port: number; protocol: string; totalGB: number
  network: string; security: string; path: string; host: string; serviceName: string; mode: string
  sni: string; certFile: string; keyFile: string; fingerprint: string
  target: string; serverNames: string; privateKey: string; publicKey: string; shortIds: string; spiderX: string
  method: string
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
    method: 'aes-256-gcm',
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
    case 'shadowsocks': return { clients, method: v.method, network: 'tcp,udp' }
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
    method: se.method ?? d.method,
  }
}
