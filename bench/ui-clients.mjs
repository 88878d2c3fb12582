// Web UI benchmark at 20,000 clients: a real `x-ui run` on SQLite with
// real Xray, driven by headless Debian Chromium. Prints the numbers for
// docs/benchmarks.md; no pass/fail thresholds.
// Run: make bench-ui   (env: BENCH_CLIENTS, default 20000)
import { readFileSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startPanel, launchBrowser, until, freePort } from '../web/ui/e2e/harness.mjs'
import { api, adminSession } from './ui-session.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '..')
const bin = process.env.XUI_E2E_BIN
const xray = process.env.XUI_TEST_XRAY_BIN || join(root, 'bin/xray-linux-amd64')
const N = Number(process.env.BENCH_CLIENTS || 20000)
const RUNS = 5

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)] }


const panel = await startPanel({ bin, xray, name: 'bench', base: '/b/' })
try {
  const { cookie, csrf } = await adminSession(panel)
  // One inbound created with every client inline: a single write.
  const t0 = Date.now()
  const clients = Array.from({ length: N }, (_, i) => ({ id: randomUUID(), email: `u${Math.floor(i / 5000)}-${String(i).padStart(6, '0')}`, enable: true, totalGB: 0, expiryTime: 0, limitIp: 0, subId: `s${i}` }))
  await api(panel.url, cookie, csrf, 'POST', 'inbounds/add', {
    remark: 'bench', enable: true, port: await freePort(), protocol: 'vless',
    settings: JSON.stringify({ clients, decryption: 'none' }), streamSettings: JSON.stringify({ network: 'tcp', security: 'none' }), sniffing: '{}',
  })
  console.log(`seeded ${N} clients in ${Date.now() - t0} ms`)
  for (const q of ['page=1&pageSize=50', 'page=200&pageSize=50&sort=usage&order=desc', 'page=1&pageSize=50&search=u3-']) {
    const a0 = performance.now()
    for (let i = 0; i < 20; i++) await api(panel.url, cookie, csrf, 'GET', 'clients/list/paged?' + q)
    console.log(`API clients/list/paged?${q}: ${((performance.now() - a0) / 20).toFixed(1)} ms per call`)
  }

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
    await page.click('.ant-menu >> text=Clients')
    await page.waitForSelector('tbody tr.ant-table-row')
    first.push(Date.now() - s0)
    if (run === 0) {
      // Fresh profile on the first run: every script came over the wire.
      // encodedBodySize: bytes on the wire (gzip) even for files the login
      // page already fetched; login + clients page together.
      jsGzip = await page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.js')).reduce((a, e) => a + e.encodedBodySize, 0))
    }
    // Timed inside the page: click to the new rows in the DOM.
    pageChange.push(await page.evaluate(() => new Promise((res) => {
      const first = () => document.querySelector('tbody tr.ant-table-row')?.textContent
      const before = first(), t = performance.now()
      document.querySelector('.ant-pagination-item-2').click()
      const tick = () => (first() !== before ? res(Math.round(performance.now() - t)) : requestAnimationFrame(tick))
      tick()
    })))
    // One seeded batch: prefix u<k>- holds up to 5,000 clients.
    const k = Math.floor((N - 1) / 5000)
    const want = `Total ${Math.min(5000, N - k * 5000)}`
    // Timed inside the page like the page change: the input event (what
    // typing fires) to the new total in the DOM, without the protocol round
    // trips of page.fill and waitForFunction.
    search.push(await page.evaluate(({ w, text }) => new Promise((res) => {
      const input = document.querySelector('#client-search')
      const t = performance.now()
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(input, text)
      input.dispatchEvent(new Event('input', { bubbles: true }))
      const tick = () => (document.querySelector('.ant-pagination')?.textContent?.includes(w) ? res(Math.round(performance.now() - t)) : requestAnimationFrame(tick))
      tick()
    }), { w: want, text: `u${k}-` }))
    await page.close()
  }
  const rss = Number(readFileSync(`/proc/${panel.proc.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024
  await ctx.close()
  console.log(`clients: ${N}, runs: ${RUNS}`)
  console.log(`login -> first clients page rendered: median ${median(first)} ms (all: ${first.join(', ')})`)
  console.log(`page change: median ${median(pageChange)} ms (all: ${pageChange.join(', ')})`)
  console.log(`search, input event to the new total (incl. the 50 ms input debounce): median ${median(search)} ms (all: ${search.join(', ')})`)
  console.log(`JS transferred for the first page (gzip): ${(jsGzip / 1024).toFixed(0)} KiB`)
  console.log(`panel RSS after the runs: ${rss.toFixed(0)} MiB`)
} finally { await panel.stop() }
