// linkcheck runs a real Xray client built from a vless:// share link and
// fetches a local HTTP page through it: the link works end to end.
import { spawn, execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import http from 'node:http'
import tls from 'node:tls'
import { freePort, until } from './harness.mjs'

// clientConfig turns a vless link into an Xray client config with a socks inbound.
export function clientConfig(link, socksPort) {
  const u = new URL(link)
  const q = u.searchParams
  const stream = { network: q.get('type') || 'tcp', security: q.get('security') || 'none' }
  if (stream.security === 'reality') {
    stream.realitySettings = { serverName: q.get('sni'), fingerprint: q.get('fp') || 'chrome', publicKey: q.get('pbk'), shortId: q.get('sid') || '', spiderX: q.get('spx') || '/' }
  }
  return {
    log: { loglevel: 'warning' },
    inbounds: [{ listen: '127.0.0.1', port: socksPort, protocol: 'socks', settings: { udp: false } }],
    outbounds: [{
      protocol: 'vless',
      settings: { vnext: [{ address: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port), users: [{ id: decodeURIComponent(u.username), encryption: q.get('encryption') || 'none', flow: q.get('flow') || '' }] }] },
      streamSettings: stream,
    }],
  }
}

// realityTarget is a local TLS 1.3 server REALITY can borrow handshakes from.
export async function realityTarget(dir) {
  const key = join(dir, 'target.key'), crt = join(dir, 'target.crt')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', crt, '-subj', '/CN=reality.test', '-days', '2'], { stdio: 'ignore' })
  const port = await freePort()
  const srv = tls.createServer({ key: readFileSync(key), cert: readFileSync(crt), minVersion: 'TLSv1.3' }, (s) => s.end('hello'))
  await new Promise((r) => srv.listen(port, '127.0.0.1', r))
  return { addr: `127.0.0.1:${port}`, close: () => srv.close() }
}

export async function checkLink(link, xrayBin) {
  const dir = mkdtempSync(join(tmpdir(), 'xui-ui-link-'))
  const body = 'through-the-panel-' + Math.random().toString(36).slice(2)
  const web = http.createServer((_q, r) => r.end(body))
  const webPort = await freePort()
  await new Promise((r) => web.listen(webPort, '127.0.0.1', r))
  const socks = await freePort()
  const cfg = join(dir, 'client.json')
  writeFileSync(cfg, JSON.stringify(clientConfig(link, socks)))
  const xr = spawn(xrayBin, ['run', '-c', cfg], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  xr.stdout.on('data', (d) => { out += d }); xr.stderr.on('data', (d) => { out += d })
  try {
    // Async: the page is served by this same process.
    const got = await until('a page through the share link', () => new Promise((res) => {
      execFile('curl', ['-sS', '--max-time', '5', '-x', `socks5h://127.0.0.1:${socks}`, `http://127.0.0.1:${webPort}/`], { encoding: 'utf8' }, (err, out) => res(err ? '' : out))
    }), 30000).catch((e) => { throw new Error(`${e.message}\nxray client output:\n${out}`) })
    if (got !== body) throw new Error(`unexpected body ${got}`)
    return true
  } finally { xr.kill('SIGKILL'); web.close() }
}
