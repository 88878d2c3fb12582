// Share links (vless://, vmess://, trojan://, ss://) for one client of an
// inbound, in the formats v2rayN/v2rayNG/Shadowrocket import.
export interface InboundLike {
  protocol: string
  port: number
  listen?: string
  remark?: string
  settings: string | Record<string, any>
  streamSettings: string | Record<string, any>
}
export interface ClientLike { id?: string; password?: string; email: string; flow?: string; security?: string }

const obj = (v: string | Record<string, any> | undefined): Record<string, any> =>
  typeof v === 'string' ? (v ? JSON.parse(v) : {}) : v ?? {}

function hostFor(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address
}

// streamParams are the query parameters describing transport and security.
export function streamParams(streamSettings: string | Record<string, any>): URLSearchParams {
  const s = obj(streamSettings)
  const p = new URLSearchParams()
  const net = s.network || 'tcp'
  p.set('type', net)
  switch (net) {
    case 'ws': {
      const ws = s.wsSettings ?? {}
      p.set('path', ws.path || '/')
      const host = ws.host || ws.headers?.Host
      if (host) p.set('host', host)
      break
    }
    case 'grpc':
      p.set('serviceName', s.grpcSettings?.serviceName ?? '')
      if (s.grpcSettings?.multiMode) p.set('mode', 'multi')
      break
    case 'httpupgrade':
      p.set('path', s.httpupgradeSettings?.path || '/')
      if (s.httpupgradeSettings?.host) p.set('host', s.httpupgradeSettings.host)
      break
    case 'xhttp':
      p.set('path', s.xhttpSettings?.path || '/')
      if (s.xhttpSettings?.host) p.set('host', s.xhttpSettings.host)
      if (s.xhttpSettings?.mode) p.set('mode', s.xhttpSettings.mode)
      break
    case 'tcp':
      if (s.tcpSettings?.header?.type === 'http') p.set('headerType', 'http')
      break
  }
  const sec = s.security || 'none'
  p.set('security', sec)
  if (sec === 'tls') {
    const t = s.tlsSettings ?? {}
    if (t.serverName) p.set('sni', t.serverName)
    if (t.alpn?.length) p.set('alpn', t.alpn.join(','))
    const fp = t.settings?.fingerprint || t.fingerprint
    if (fp) p.set('fp', fp)
  } else if (sec === 'reality') {
    const r = s.realitySettings ?? {}
    const st = r.settings ?? {}
    p.set('pbk', st.publicKey ?? '')
    p.set('fp', st.fingerprint || 'chrome')
    const sni = st.serverName || r.serverNames?.[0]
    if (sni) p.set('sni', sni)
    const sid = r.shortIds?.[0]
    if (sid !== undefined) p.set('sid', sid)
    if (st.spiderX) p.set('spx', st.spiderX)
  }
  return p
}

// shareLink builds the link for client c on inbound in, reached at address.
export function shareLink(inb: InboundLike, c: ClientLike, address: string): string {
  const host = hostFor(address)
  const tag = encodeURIComponent(inb.remark ? `${inb.remark}-${c.email}` : c.email)
  const p = streamParams(inb.streamSettings)
  switch (inb.protocol) {
    case 'vless': {
      p.set('encryption', obj(inb.settings).decryption || 'none')
      if (c.flow) p.set('flow', c.flow)
      return `vless://${c.id}@${host}:${inb.port}?${p.toString()}#${tag}`
    }
    case 'trojan':
      if (c.flow) p.set('flow', c.flow)
      return `trojan://${encodeURIComponent(c.password ?? '')}@${host}:${inb.port}?${p.toString()}#${tag}`
    case 'vmess': {
      const s = obj(inb.streamSettings)
      const v = {
        v: '2', ps: decodeURIComponent(tag), add: address, port: String(inb.port), id: c.id, scy: c.security || 'auto',
        net: p.get('type'), type: p.get('headerType') || 'none', host: p.get('host') || '', path: p.get('path') || p.get('serviceName') || '',
        tls: s.security === 'tls' ? 'tls' : '', sni: p.get('sni') || '', alpn: p.get('alpn') || '', fp: p.get('fp') || '',
      }
      return 'vmess://' + b64(JSON.stringify(v))
    }
    case 'shadowsocks': {
      const st = obj(inb.settings)
      const method = st.method
      // 2022 ciphers with a server key: the client password is "server:user".
      const pass = method?.startsWith('2022-') && st.password ? `${st.password}:${c.password}` : c.password
      const user = b64(`${method}:${pass}`).replace(/=+$/, '')
      const q = p.get('type') === 'tcp' && p.get('security') === 'none' ? '' : `?${p.toString()}`
      return `ss://${user}@${host}:${inb.port}${q}#${tag}`
    }
  }
  return ''
}

export function b64(s: string): string {
  const bytes = new TextEncoder().encode(s)
  let bin = ''
  bytes.forEach((b) => { bin += String.fromCharCode(b) })
  return btoa(bin)
}

// subscriptionLink is the client's subscription URL on the sub server.
export function subscriptionLink(subId: string, host: string, port: number, path: string, tls = false): string {
  const p = path.endsWith('/') ? path : path + '/'
  const scheme = tls ? 'https' : 'http'
  const def = (tls && port === 443) || (!tls && port === 80)
  return `${scheme}://${hostFor(host)}${def ? '' : ':' + port}${p}${encodeURIComponent(subId)}`
}
