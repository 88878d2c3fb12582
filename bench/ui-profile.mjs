// CPU profile of the clients page at 20,000 clients: where the browser's
// time goes on login -> clients, a page change and a search. Prints the
// top functions by self time (bundle file:line, so run against a build with
// sourcemaps or read the minified names) and the time by script.
// Run: make ui xray && go build -o web/ui/e2e-out/x-ui . && cd web/ui &&
//   XUI_E2E_BIN=$PWD/e2e-out/x-ui node ../../bench/ui-profile.mjs
import { randomUUID } from 'node:crypto'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startPanel, launchBrowser, freePort } from '../web/ui/e2e/harness.mjs'
import { api, adminSession } from './ui-session.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const xray = process.env.XUI_TEST_XRAY_BIN || join(root, 'bin/xray-linux-amd64')
const N = Number(process.env.BENCH_CLIENTS || 20000)


function report(name, profile, wall) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map(), byUrl = new Map()
  const dt = profile.timeDeltas
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i]), cf = n.callFrame
    const ms = (dt[i] ?? 0) / 1000
    const key = `${cf.functionName || '(anon)'} ${cf.url.split('/').pop()}:${cf.lineNumber}:${cf.columnNumber}`
    self.set(key, (self.get(key) ?? 0) + ms)
    const u = cf.url ? cf.url.split('/').pop() : cf.functionName
    byUrl.set(u, (byUrl.get(u) ?? 0) + ms)
  }
  const top = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([f, ms]) => `  ${ms.toFixed(1).padStart(7)} ms  ${f}`).join('\n')
  console.log(`\n== ${name}: ${wall} ms wall\nby script:\n${top(byUrl, 10)}\ntop self time:\n${top(self, 25)}`)
}

const panel = await startPanel({ bin: process.env.XUI_E2E_BIN, xray, name: 'prof', base: '/p/' })
try {
  const { cookie, csrf } = await adminSession(panel)
  const clients = Array.from({ length: N }, (_, i) => ({ id: randomUUID(), email: `u${Math.floor(i / 5000)}-${String(i).padStart(6, '0')}`, enable: true, totalGB: i % 3 ? 10 * 1024 ** 3 : 0, expiryTime: 0, limitIp: 0, subId: `s${i}` }))
  await api(panel.url, cookie, csrf, 'POST', 'inbounds/add', {
    remark: 'prof', enable: true, port: await freePort(), protocol: 'vless',
    settings: JSON.stringify({ clients, decryption: 'none' }), streamSettings: JSON.stringify({ network: 'tcp', security: 'none' }), sniffing: '{}',
  })
  const ctx = await launchBrowser()
  const page = await ctx.newPage()
  const cdp = await ctx.newCDPSession(page)
  await cdp.send('Profiler.enable')
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
  // A devtools timeline trace alongside: style, layout and paint are
  // "(program)" in the CPU profile.
  const timeline = async () => {
    const events = []
    cdp.on('Tracing.dataCollected', (d) => events.push(...d.value))
    const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r))
    await cdp.send('Tracing.end')
    await done
    const sum = new Map()
    for (const e of events) if (e.ph === 'X' && e.dur && /^(UpdateLayoutTree|Layout|Paint|PrePaint|Layerize|RecalculateStyles|ParseHTML|EvaluateScript|v8.compile|FunctionCall|TimerFire|FireAnimationFrame|EventDispatch|MajorGC|MinorGC|ParseAuthorStyleSheet)$/.test(e.name)) sum.set(e.name, (sum.get(e.name) ?? 0) + e.dur / 1000)
    return [...sum].sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${v.toFixed(1).padStart(7)} ms  ${k}`).join('\n')
  }
  const profiled = async (name, fn) => {
    await cdp.send('Tracing.start', { categories: 'devtools.timeline,v8', transferMode: 'ReportEvents' })
    await cdp.send('Profiler.start')
    const t0 = Date.now()
    await fn()
    const wall = Date.now() - t0
    const { profile } = await cdp.send('Profiler.stop')
    report(name, profile, wall)
    console.log('timeline (nested events overlap):\n' + await timeline())
  }
  await page.goto(panel.url)
  await page.fill('#username', 'admin'); await page.fill('#password', 'admin')
  // Milestones of the login path, ms from the click: which requests it
  // waits for and when.
  const t0 = { v: 0 }, marks = []
  const mark = (what) => marks.push(`${String(Date.now() - t0.v).padStart(5)} ms  ${what}`)
  page.on('request', (r) => t0.v && mark(`-> ${r.method()} ${r.url().replace(panel.url, '')}`))
  page.on('requestfinished', (r) => t0.v && mark(`<- ${r.url().replace(panel.url, '')} (${Math.round(r.timing().responseEnd)} ms)`))
  await profiled('login -> first clients page', async () => {
    t0.v = Date.now()
    await page.click('#login-submit')
    await page.waitForURL(/\/panel\/$/); mark('url /panel/')
    await page.click('.ant-menu >> text=Clients'); mark('clicked Clients')
    await page.waitForSelector('tbody tr.ant-table-row'); mark('rows shown')
  })
  t0.v = 0
  console.log(marks.join('\n'))
  // The first change of a session, as bench-ui times it.
  await profiled('page change', () => page.evaluate(() => new Promise((res) => {
    const first = () => document.querySelector('tbody tr.ant-table-row')?.textContent
    const before = first()
    document.querySelector('.ant-pagination-next').click()
    const tick = () => (first() !== before ? res() : requestAnimationFrame(tick))
    tick()
  })))
  // Without the profiler: the median of ten page changes, for A/B checks.
  const changes = []
  for (let i = 3; i <= 12; i++) {
    changes.push(await page.evaluate((n) => new Promise((res) => {
      const first = () => document.querySelector('tbody tr.ant-table-row')?.textContent
      const before = first(), t = performance.now()
      document.querySelector(`.ant-pagination-item-${n}, .ant-pagination-next`).click()
      const tick = () => (first() !== before ? res(Math.round(performance.now() - t)) : requestAnimationFrame(tick))
      tick()
    }), i))
    await page.waitForTimeout(300)
  }
  console.log(`page changes without the profiler: median ${[...changes].sort((a, b) => a - b)[5]} ms (all: ${changes.join(', ')})`)
  await page.waitForTimeout(500)
  await profiled('search', async () => {
    const wait = page.waitForFunction(() => document.querySelector('.ant-pagination')?.textContent?.includes('Total 5000'), null, { polling: 'raf' })
    await page.fill('#client-search', 'u3-')
    await wait
  })
  await ctx.close()
} finally { await panel.stop() }
