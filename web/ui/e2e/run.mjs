// Browser tests: headless Debian Chromium (playwright-core) against a real
// `x-ui run` on SQLite with real Xray. Screenshots go to e2e-out/ (gitignored).
// Env: XUI_E2E_BIN (x-ui binary; default: go build), XUI_TEST_XRAY_BIN.
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startPanel, launchBrowser, buildPanel, until, freePort } from './harness.mjs'
import { checkLink, realityTarget } from './linkcheck.mjs'
import { workerScenario } from './worker.mjs'
import { settingsScenario } from './settings.mjs'
import { notifyScenario } from './notify.mjs'
import { auditScenario } from './audit.mjs'
import { rolesScenario } from './roles.mjs'
import { losslessScenario, fieldError } from './lossless.mjs'
import { languagesScenario } from './languages.mjs'
import { firstHourScenario } from './firsthour.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '../../..')
export const OUT = join(here, '..', 'e2e-out')
mkdirSync(OUT, { recursive: true })
const xray = process.env.XUI_TEST_XRAY_BIN || join(root, 'bin/xray-linux-amd64')
const bin = process.env.XUI_E2E_BIN || buildPanel(root, join(mkdtempSync(join(tmpdir(), 'xui-ui-bin-')), 'x-ui'))

let failures = 0
let passed = 0
const cleanups = []
let currentPage = null
async function step(name, fn) {
  const t0 = Date.now()
  try { await fn(); passed++; console.log(`ok   ${name} (${Date.now() - t0} ms)`) } catch (e) {
    failures++; console.log(`FAIL ${name}: ${e.stack || e}`)
    await currentPage?.screenshot({ path: join(OUT, 'failure.png'), fullPage: true }).catch(() => {})
    throw e
  }
}
const assert = (cond, msg) => { if (!cond) throw new Error(msg) }

// pick chooses label in the antd Select whose input has id.
export async function pick(page, id, label) {
  const opt = page.locator('.ant-select-dropdown:visible .ant-select-item-option')
  await until(`options of ${id}`, async () => {
    if (await opt.count() === 0) await page.locator('.ant-select', { has: page.locator(`#${id}`) }).click()
    await page.waitForTimeout(300)
    return (await opt.count()) > 0
  })
  await opt.filter({ hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) }).first().click()
}

export async function login(page, url) {
  await page.goto(url)
  await page.fill('#username', 'admin')
  await page.fill('#password', 'admin')
  await page.click('#login-submit')
  await page.waitForURL(/\/panel\/$/)
}

export async function pageApi(page, method, path, body) {
  return page.evaluate(async ([method, path, body]) => {
    const csrf = decodeURIComponent((document.cookie.match(/(?:^|;\s*)xui_csrf=([^;]*)/) || [])[1] || '')
    const r = await fetch(new URL('panel/api/' + path, document.baseURI), { method, headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: body ? JSON.stringify(body) : undefined })
    return r.json()
  }, [method, path, body])
}

async function main() {
  if (process.env.XUI_E2E_ONLY === 'worker') {
    const ctx = await launchBrowser()
    cleanups.push(() => ctx.close())
    return workerScenario({ bin, xray, step, assert, shot: (n, p) => p.screenshot({ path: join(OUT, `${n}.png`), fullPage: true }), ctx, cleanups })
  }
  if (process.env.XUI_E2E_ONLY === 'firsthour' || process.env.XUI_E2E_ONLY === 'a11y') {
    const ctx = await launchBrowser()
    cleanups.push(() => ctx.close())
    return firstHourScenario({ bin, xray, ctx, step, assert, out: OUT, cleanups })
  }
  const panel = await startPanel({ bin, xray })
  cleanups.push(panel.stop)
  const ctx = await launchBrowser()
  cleanups.push(() => ctx.close())
  const page = ctx.pages()[0] ?? await ctx.newPage()
  currentPage = page
  const shotOf = (name) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true })
  if (process.env.XUI_E2E_ONLY === 'notify') {
    await login(page, panel.url)
    return notifyScenario({ panel, page, step, assert, shot: shotOf, cleanups })
  }
  if (process.env.XUI_E2E_ONLY === 'audit') {
    const shot = (name) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true })
    await step('log in', () => login(page, panel.url))
    return auditScenario({ panel, page, step, assert, shot })
  }
  if (process.env.XUI_E2E_ONLY === 'languages') {
    await step('log in', () => login(page, panel.url))
    return languagesScenario({ panel, page, step, assert, out: OUT, setupXray: true })
  }
  const target = await realityTarget(panel.dir)
  cleanups.push(target.close)
  const shot = (name) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true })
  if (process.env.XUI_E2E_ONLY === 'lossless') return losslessScenario({ bin, xray, panel, page, step, assert, shot, cleanups })
  if (process.env.XUI_E2E_ONLY === 'roles') {
    await step('log in', () => login(page, panel.url))
    return rolesScenario({ panel, page, step, assert, out: OUT, cleanups })
  }

  await step('login page serves the app with CSP and no-cache', async () => {
    const r = await fetch(panel.url)
    assert(r.status === 200, `status ${r.status}`)
    assert(/script-src 'self'/.test(r.headers.get('content-security-policy') || ''), 'CSP missing')
    assert(/no-cache/.test(r.headers.get('cache-control') || ''), 'index must not be cached')
    const html = await r.text()
    const asset = html.match(/assets\/[^"]+\.js/)[0]
    const a = await fetch(panel.url + asset)
    assert(/immutable/.test(a.headers.get('cache-control') || ''), 'assets must be cached long')
    const deep = await fetch(panel.url + 'panel/clients', { redirect: 'manual' })
    assert(deep.status === 307, `unknown panel path without login: ${deep.status}`)
  })

  await step('log in', async () => {
    await page.goto(panel.url)
    await shot('login')
    await login(page, panel.url)
    await page.waitForSelector('#xray-state')
  })

  // Other panels on this machine may hold the template's fixed API port, and
  // the default template blocks loopback, which this test proxies to.
  await step('own API port and loopback allowed in the Xray template', async () => {
    const tpl = await pageApi(page, 'GET', 'setting/getXrayTemplate')
    const t = typeof tpl.obj === 'string' ? JSON.parse(tpl.obj) : tpl.obj
    t.routing.rules = t.routing.rules.filter((r) => !(r.ip && r.ip.includes('127.0.0.0/8')))
    t.inbounds.find((i) => i.tag === 'api').port = await freePort()
    t.log.error = join(panel.dir, 'xray-error.log')
    t.log.loglevel = process.env.XUI_E2E_XRAY_DEBUG ? 'debug' : 'info'
    const r = await pageApi(page, 'POST', 'setting/updateXrayTemplate', { xraySetting: JSON.stringify(t) })
    assert(r.success, r.msg)
    await pageApi(page, 'POST', 'server/restartXrayService')
    await until('xray running', async () => (await page.textContent('#xray-state')) === 'running', 30000)
    await page.waitForTimeout(2500) // a few chart points
    await shot('overview')
  })

  const inPort = await freePort()
  await step('create a VLESS+REALITY inbound through the form', async () => {
    await page.click('text=Inbounds')
    await page.click('#add-inbound')
    await page.fill('#inb-remark', 'e2e-reality')
    await page.fill('#inb-port', String(inPort))
    await pick(page, 'inb-security', 'reality')
    await page.fill('#inb-target', target.addr)
    await page.fill('#inb-servernames', 'reality.test')
    await page.click('#inb-newkeys')
    await until('keys', async () => (await page.inputValue('#inb-pubkey')).length > 20)
    await shot('inbound-form')
    await page.click('#inbound-save')
    await page.waitForSelector('td:has-text("e2e-reality")')
    await shot('inbounds')
  })

  await step('a bad port shows the server\'s message at the Port field', async () => {
    await page.click('#add-inbound')
    await page.fill('#inb-port', String(inPort)) // taken by the inbound above
    await page.click('#inbound-save')
    const text = await fieldError(page, 'Port')
    assert(/^\d+ is already used/.test(text), `message at Port: ${text}`)
    await page.locator('.ant-modal:visible button:has-text("Cancel")').click()
    await page.waitForSelector('.ant-modal:visible', { state: 'detached' }).catch(() => {})
  })

  await step('add a client', async () => {
    await page.click('text=Clients')
    await page.click('#add-client')
    await pick(page, 'client-inbound', 'e2e-reality')
    await page.fill('#client-email', 'alice')
    await page.click('#client-save')
    await page.waitForSelector('td:has-text("alice")')
  })

  let link = ''
  await step('its QR code and share link appear', async () => {
    await page.locator('tr:has-text("alice") .client-share').click()
    await page.waitForSelector('#client-qr')
    link = (await page.textContent('#share-link')).trim()
    assert(link.startsWith('vless://') && link.includes('security=reality') && link.includes('pbk='), `link ${link}`)
    await shot('client-share')
    await page.keyboard.press('Escape')
  })

  await step('the share link connects through the panel\'s Xray', async () => {
    try { await checkLink(link, xray) } catch (e) {
      const { readFileSync } = await import('node:fs')
      const cfg = JSON.parse(readFileSync(join(panel.dir, 'bin', 'config.json'), 'utf8'))
      const { execSync } = await import('node:child_process')
      throw new Error(`${e.message}\nlink ${link}\nlisteners: ${execSync('ss -ltnp').toString().split('\n').filter((l) => l.includes(':' + inPort)).join(' | ')}\npanel routing: ${JSON.stringify(cfg.routing)}\ninbound: ${JSON.stringify(cfg.inbounds.at(-1))}\npanel log:\n${panel.tail()}\nxray log:\n${readFileSync(join(panel.dir, 'xray-error.log'), 'utf8').split('\n').filter((l) => !/api|62789|\[Debug\]/.test(l)).slice(-30).join('\n')}`)
    }
  })

  const row = () => page.locator('tr:has-text("alice")')
  const clientEnabled = async () => (await pageApi(page, 'GET', 'clients/get/alice')).obj.client.enable
  await step('toggle it off and on', async () => {
    await row().locator('.client-enable').click()
    await until('disabled', async () => (await clientEnabled()) === false)
    // The server commits before the page has its answer: click again only
    // once the switch shows off, or the click repeats the first one.
    await row().locator('.client-enable[aria-checked="false"]').waitFor()
    await row().locator('.client-enable').click()
    await until('enabled', async () => (await clientEnabled()) === true)
  })

  await step('edit its quota', async () => {
    await row().locator('.client-edit').click()
    await page.fill('#client-quota', '5')
    await page.click('#client-save')
    await until('quota shown', async () => (await row().textContent()).includes('5 GB'))
    const d = await pageApi(page, 'GET', 'clients/get/alice')
    assert(d.obj.client.totalGB === 5 * 1024 ** 3, `totalGB ${d.obj.client.totalGB}`)
  })

  await step('select it and disable, then select the page and enable', async () => {
    await row().locator('.client-select').check()
    await page.waitForSelector('text=1 selected')
    await page.locator('button:has-text("Disable")').click()
    await until('disabled', async () => (await clientEnabled()) === false)
    // The page clears the selection when its bulk call answers; select
    // the page only after that, or the late clear undoes it.
    await page.waitForSelector('text=1 selected', { state: 'detached' })
    await page.locator('.client-select-all').check()
    assert(await row().locator('.client-select').isChecked(), 'select-all left the row unchecked')
    await page.locator('button:has-text("Enable")').click()
    await until('enabled', async () => (await clientEnabled()) === true)
  })

  await step('add 100 clients at once', async () => {
    await page.click('#add-many')
    await pick(page, 'addmany-inbound', 'e2e-reality')
    await page.fill('#addmany-prefix', 'bulk-')
    await page.fill('#addmany-count', '100')
    await page.click('#addmany-save')
    await until('101 clients', async () => (await page.textContent('.ant-pagination')).includes('101'))
    await shot('clients')
  })

  await step('search for one', async () => {
    await page.fill('#client-search', 'alic')
    await until('one row', async () => (await page.locator('tbody tr.ant-table-row').count()) === 1 && (await page.textContent('.ant-pagination')).includes(' 1'))
  })

  await step('delete it', async () => {
    await row().locator('.client-delete').click()
    await page.locator('.ant-popconfirm:visible .ant-btn-primary').click()
    await until('gone', async () => (await page.locator('tr:has-text("alice")').count()) === 0)
    const d = await pageApi(page, 'GET', 'clients/get/alice')
    assert(!d.success, 'alice still exists')
  })

  await step('screenshots of the other pages', async () => {
    for (const [menu, name] of [['Nodes', 'nodes'], ['Settings', 'settings'], ['Logs', 'logs']]) {
      await page.click(`.ant-menu >> text=${menu}`)
      await page.waitForTimeout(800)
      await shot(name)
    }
    for (const tab of ['account', 'tokens', 'subscription', 'xray', 'backup']) {
      await page.goto(panel.url + 'panel/settings/' + tab)
      await page.waitForTimeout(800)
      await shot('settings-' + tab)
    }
  })

  await step('the Xray template editor shows Xray\'s error', async () => {
    await page.goto(panel.url + 'panel/settings/xray')
    await page.waitForSelector('#xray-template .cm-content')
    const tpl = await pageApi(page, 'GET', 'setting/getXrayTemplate')
    const t = typeof tpl.obj === 'string' ? JSON.parse(tpl.obj) : tpl.obj
    t.outbounds[0].protocol = 'no-such-protocol'
    await page.locator('#xray-template .cm-content').click()
    await page.keyboard.press('Control+a')
    await page.keyboard.insertText(JSON.stringify(t))
    await page.click('button:has-text("Save (checked by Xray)")')
    const err = await page.waitForSelector('#xray-template-error')
    assert(/no-such-protocol|unknown|failed/i.test(await err.textContent()), await err.textContent())
  })

  await step('switch to Chinese, and it persists', async () => {
    await page.goto(panel.url + 'panel/')
    await page.locator('[data-testid=lang]').click({ force: true })
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: '简体中文' }).click()
    await page.waitForSelector('.ant-menu >> text=入站')
    await page.reload()
    await page.waitForSelector('.ant-menu >> text=客户端')
    await page.click('.ant-menu >> text=客户端')
    await page.waitForSelector('text=批量添加')
    await shot('clients-zh')
    await page.evaluate(() => localStorage.setItem('xui.lang', 'en'))
  })

  await step('dark theme', async () => {
    await page.goto(panel.url + 'panel/clients')
    await page.waitForSelector('tbody tr.ant-table-row')
    await page.locator('[data-testid=theme]').click({ force: true })
    await until('dark', () => page.evaluate(() => localStorage.getItem('xui.theme') === 'dark'))
    await page.waitForTimeout(500)
    await shot('clients-dark')
    await page.locator('[data-testid=theme]').click({ force: true })
  })

  await languagesScenario({ panel, page, step, assert, out: OUT })
  await notifyScenario({ panel, page, step, assert, shot, cleanups })
  // Before settings: that scenario turns on two-factor login for admin.
  await losslessScenario({ bin, xray, panel, page, step, assert, shot, cleanups })
  await rolesScenario({ panel, page, step, assert, out: OUT, cleanups })
  await settingsScenario({ panel, page, step, assert, shot, out: OUT })
  await auditScenario({ panel, page, step, assert, shot })
  await firstHourScenario({ bin, xray, ctx, step, assert, out: OUT, cleanups })

  if (process.env.XUI_TEST_SKIP_MARIADB === '1') console.log('skip worker scenario: XUI_TEST_SKIP_MARIADB=1')
  else await workerScenario({ bin, xray, step, assert, shot: (n, p) => p.screenshot({ path: join(OUT, `${n}.png`), fullPage: true }), ctx, cleanups })
}

try { await main() } catch { failures = failures || 1 } finally {
  for (const c of cleanups.reverse()) { try { await c() } catch { /* best effort */ } }
}
console.log(failures ? `FAIL (${failures})` : 'PASS')
console.log(`browser: ${passed} passed, ${failures} failed`)
process.exit(failures ? 1 : 0)
