// Web UI benchmark at 20,000 clients: a real `x-ui run` on SQLite with
// real Xray, driven by headless Debian Chromium. Prints the numbers for
// docs/benchmarks.md; no pass/fail thresholds.
// Run: make bench-ui   (env: BENCH_CLIENTS, default 20000)
import { readFileSync } from 'node:fs'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startPanel, launchBrowser, until, freePort } from '../web/ui/e2e/harness.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '..')
const bin = process.env.XUI_E2E_BIN
const xray = process.env.XUI_TEST_XRAY_BIN || join(root, 'bin/xray-linux-amd64')
const N = Number(process.env.BENCH_CLIENTS || 20000)
const RUNS = 5

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)] }

async function api(url, cookie, csrf, method, path, body) {
  const r = await fetch(url + 'panel/api/' + path, { method, headers: { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined })
  const j = await r.json()
  if (!j.success) throw new Error(`${path}: ${j.msg}`)
  return j.obj
}

const panel = await startPanel({ bin, xray, name: 'bench', base: '/b/' })
try {
  const login = await fetch(panel.url + 'login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'admin' }) })
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  const csrf = (await login.json()).obj.csrfToken
  // Own API port: other panels on this machine may hold the default one.
  const tpl = await api(panel.url, cookie, csrf, 'GET', 'setting/getXrayTemplate')
  const t = typeof tpl === 'string' ? JSON.parse(tpl) : tpl
  t.inbounds.find((i) => i.tag === 'api').port = await freePort()
  await api(panel.url, cookie, csrf, 'POST', 'setting/updateXrayTemplate', { xraySetting: JSON.stringify(t) })
  const inb = await api(panel.url, cookie, csrf, 'POST', 'inbounds/add', {
    remark: 'bench', enable: true, port: await freePort(), protocol: 'vless',
    settings: JSON.stringify({ clients: [], decryption: 'none' }), streamSettings: JSON.stringify({ network: 'tcp', security: 'none' }), sniffing: '{}',
  })
  const t0 = Date.now()
  for (let done = 0; done < N; done += 5000) {
    await api(panel.url, cookie, csrf, 'POST', 'clients/addMany', { inboundId: inb.id, prefix: `u${done / 5000}-`, count: Math.min(5000, N - done) })
  }
  console.log(`seeded ${N} clients in ${Date.now() - t0} ms`)

  const ctx = await launchBrowser()
  const first = [], pageChange = [], search = []
  let jsGzip = 0
  for (let run = 0; run < RUNS; run++) {
    await ctx.clearCookies()
    const page = await ctx.newPage()
    await page.goto(panel.url)
    await page.fill('#username', 'admin'); await page.fill('#password', 'admin')
    const s0 = Date.now()
    await page.click('#login-submit')
    await page.waitForURL(/\/panel\/$/)
    await page.goto(panel.url + 'panel/clients')
    await page.waitForSelector('tbody tr.ant-table-row')
    first.push(Date.now() - s0)
    if (run === 0) {
      // Fresh profile on the first run: every script came over the wire.
      jsGzip = await page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.js')).reduce((a, e) => a + e.transferSize, 0))
    }
    const firstEmail = await page.locator('tbody tr.ant-table-row').first().textContent()
    const p0 = Date.now()
    await page.locator('.ant-pagination-item-2').click()
    await until('page 2', async () => (await page.locator('tbody tr.ant-table-row').first().textContent()) !== firstEmail, 10000)
    pageChange.push(Date.now() - p0)
    // One seeded batch: prefix u<k>- holds up to 5,000 clients.
    const k = Math.floor((N - 1) / 5000)
    const want = `Total ${Math.min(5000, N - k * 5000)}`
    const q0 = Date.now()
    await page.fill('#client-search', `u${k}-`)
    await until('search', async () => (await page.locator('.ant-pagination').textContent()).includes(want), 10000)
    search.push(Date.now() - q0)
    await page.close()
  }
  const rss = Number(readFileSync(`/proc/${panel.proc.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024
  await ctx.close()
  console.log(`clients: ${N}, runs: ${RUNS}`)
  console.log(`login -> first clients page rendered: median ${median(first)} ms (all: ${first.join(', ')})`)
  console.log(`page change: median ${median(pageChange)} ms (all: ${pageChange.join(', ')})`)
  console.log(`search (incl. 120 ms input debounce): median ${median(search)} ms (all: ${search.join(', ')})`)
  console.log(`JS transferred for the first page (gzip): ${(jsGzip / 1024).toFixed(0)} KiB`)
  console.log(`panel RSS after the runs: ${rss.toFixed(0)} MiB`)
} finally { await panel.stop() }
