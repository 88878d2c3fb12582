// Lossless edits and forms that finish (issue 26): every inbound of the
// upstream 3x-ui fixtures opened in the edit dialog and saved unchanged
// (stored before = after, as JSON); a rename keeps the expiry and fields
// the form does not show; Raw JSON shows what is stored; Shadowsocks-2022
// inbound and client from the forms; a negative quota and server refusals
// shown at their field. Driven by labels and roles, as an admin would.
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, copyFileSync, symlinkSync, openSync, readFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import net from 'node:net'
import { until, freePort } from './harness.mjs'
import { pageApi } from './run.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const testdata = join(root, 'database/upgrade3xui/testdata')

// What the panel cannot take of a fixture today, with why (the Go test
// TestFixtureInboundsRoundTrip holds the server to the same list).
const sharedClient = '3x-ui v3 attaches one client to several inbounds; this panel keeps an email in one inbound until the client model of issue 24'
const noProtocol = 'protocol not served by this panel yet (issue 25)'
const fixtures = [
  { name: 'v2.9.4', file: '3x-ui-v2.9.4.db', user: 'owner', pass: 'Owner-pass-2026', base: '/', ports: [24443, 28080, 28443, 28388, 22096], refused: {}, clients: true },
  {
    name: 'v3.6.0', file: '3x-ui-v3.6.0.db', user: 'v3admin', pass: 'V3admin-pass-2026', base: '/v3panel/', ports: [31443, 31080, 31444, 31388, 31081, 31090, 39096],
    refused: {
      1: ['email "alice@dev3" is already used by inbound 3', sharedClient], 2: ['email "alice@dev3" is already used by inbound 3', sharedClient],
      3: ['email "mallory@dev3" is already used by inbound 4', sharedClient],
      5: ['"wireguard" is not supported', noProtocol], 6: ['"hysteria" is not supported', noProtocol], 7: ['"mixed" is not supported', noProtocol],
    },
  },
]

// deepJSON reads JSON held in string columns as JSON, so a pretty-printed
// column equals a compact one.
function deepJSON(v) {
  if (Array.isArray(v)) return v.map(deepJSON)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, deepJSON(e)]))
  if (typeof v === 'string' && /^\s*[[{]/.test(v)) { try { return deepJSON(JSON.parse(v)) } catch { return v } }
  return v
}
function diff(a, b, path = '') {
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!(k in b)) return `${path}.${k}: dropped`
      if (!(k in a)) return `${path}.${k}: added`
      const d = diff(a[k], b[k], `${path}.${k}`)
      if (d) return d
    }
    return ''
  }
  return JSON.stringify(a) === JSON.stringify(b) ? '' : `${path}: ${JSON.stringify(a)} -> ${JSON.stringify(b)}`
}
const jsonDiff = (a, b) => diff(deepJSON(a), deepJSON(b))

function portBusy(port) {
  return new Promise((res) => { const s = net.createServer(); s.once('error', () => res(true)); s.listen(port, () => s.close(() => res(false))) })
}

// startFixturePanel: a copy of the fixture, upgraded by `x-ui migrate`,
// the panel moved to a free loopback port (a node-local choice), started.
async function startFixturePanel({ bin, xray, fx, cleanups }) {
  for (const p of fx.ports) if (await portBusy(p)) throw new Error(`port ${p} (fixed by the ${fx.name} fixture) is in use on this machine: free it and rerun`)
  const src = join(testdata, fx.file)
  if (!existsSync(src)) throw new Error(`fixture ${src} missing`)
  const dir = mkdtempSync(join(tmpdir(), `xui-ui-fx-${fx.name}-`))
  const db = join(dir, 'db'), binDir = join(dir, 'bin')
  mkdirSync(db); mkdirSync(binDir)
  copyFileSync(src, join(db, 'x-ui.db'))
  symlinkSync(xray, join(binDir, 'xray-linux-amd64'))
  const env = { ...process.env, XUI_DB_FOLDER: db, XUI_BIN_FOLDER: binDir, XUI_LOG_FOLDER: dir }
  execFileSync(bin, ['migrate'], { env, stdio: 'ignore' })
  const port = await freePort()
  execFileSync(bin, ['setting', '-port', String(port), '-listenIP', '127.0.0.1'], { env, stdio: 'ignore' })
  const log = join(dir, 'x-ui.log')
  const proc = spawn(bin, ['run'], { env, stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')] })
  let exited = false
  proc.on('exit', () => { exited = true })
  const stop = async () => { if (!exited) { proc.kill('SIGINT'); await until('fixture panel exit', () => exited, 20000).catch(() => proc.kill('SIGKILL')) } }
  cleanups.push(stop)
  const url = `http://127.0.0.1:${port}${fx.base}`
  await until(`${fx.name} panel`, async () => {
    if (exited) throw new Error(`x-ui exited: ${readFileSync(log, 'utf8').slice(-2000)}`)
    return (await fetch(url + 'login')).ok
  }, 30000)
  return { url, stop }
}

async function loginAs(page, url, user, pass) {
  // A session left by an earlier scenario would skip the login form.
  await page.context().clearCookies()
  await page.goto(url)
  await page.evaluate(() => localStorage.setItem('xui.lang', 'en'))
  await page.goto(url)
  await page.getByLabel('Username').fill(user)
  await page.getByLabel('Password').fill(pass)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.waitForURL(/\/panel\/$/)
}

// ownApiPort gives Xray's API inbound a free port (others on this machine
// may hold the template's fixed one); the inbounds are not touched.
async function ownApiPort(page) {
  const tpl = await pageApi(page, 'GET', 'setting/getXrayTemplate')
  const t = typeof tpl.obj === 'string' ? JSON.parse(tpl.obj) : tpl.obj
  const api = t.inbounds.find((i) => i.tag === 'api')
  if (api) api.port = await freePort()
  const r = await pageApi(page, 'POST', 'setting/updateXrayTemplate', { xraySetting: JSON.stringify(t) })
  if (!r.success) throw new Error(r.msg)
}

const dialog = (page) => page.getByRole('dialog')
// choose opens the select labelled label and picks the option titled title
// (antd gives each option its label as title).
async function choose(page, label, title) {
  await dialog(page).getByLabel(label, { exact: true }).click()
  const opt = page.getByTitle(title, { exact: true }).last()
  await opt.waitFor()
  await opt.click()
}
const rowOf = (page, text) => page.getByRole('row').filter({ has: page.getByRole('cell', { name: text, exact: true }) })
async function openInbounds(page, url) {
  await page.goto(url + 'panel/inbounds')
  await page.getByRole('button', { name: 'Add inbound' }).waitFor()
}
async function openEdit(page, remark) {
  await rowOf(page, remark).getByRole('button', { name: 'Edit', exact: true }).click()
  await dialog(page).getByRole('tab', { name: 'Form' }).waitFor()
}
// closed waits until the dialog is gone (saved) or shows a refusal.
async function saveOutcome(page) {
  await dialog(page).getByRole('button', { name: 'Save' }).click()
  return until('saved or refused', async () => {
    if (await dialog(page).count() === 0) return { saved: true }
    const alert = dialog(page).getByRole('alert').first()
    if (await alert.count()) return { saved: false, text: (await alert.textContent()) ?? '' }
    const invalid = dialog(page).locator('[aria-invalid="true"]').first()
    if (await invalid.count()) return { saved: false, text: await describedBy(page, invalid) }
    return false
  })
}
// describedBy is the text of the elements an input's aria-describedby
// names (antd's error under the field).
async function describedBy(page, input) {
  const ids = (await input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean)
  let text = ''
  for (const id of ids) text += (await page.locator(`[id="${id}"]`).textContent().catch(() => '')) || ''
  return text
}
// fieldError is the error antd shows under the field labelled label: the
// text of the elements the input's aria-describedby names.
export async function fieldError(page, label) {
  const input = dialog(page).getByLabel(label, { exact: true })
  return until(`error at ${label}`, async () => {
    if (await input.getAttribute('aria-invalid') !== 'true') return false
    return (await describedBy(page, input)) || false
  })
}

export async function losslessScenario({ bin, xray, panel, page, step, assert, shot, cleanups }) {
  for (const fx of fixtures) {
    await step(`3x-ui ${fx.name}: every inbound (and on v2.9.4 every client) opened in its edit dialog and saved unchanged keeps its stored JSON`, async () => {
      const fp = await startFixturePanel({ bin, xray, fx, cleanups })
      await loginAs(page, fp.url, fx.user, fx.pass)
      await ownApiPort(page)
      const list = (await pageApi(page, 'GET', 'inbounds/list')).obj
      assert(list.length > 0, 'no inbounds in the fixture')
      await openInbounds(page, fp.url)
      const notes = []
      for (const row of list) {
        const before = (await pageApi(page, 'GET', `inbounds/get/${row.id}`)).obj
        await openEdit(page, row.remark)
        if (row.id === list[0].id) await shot(`lossless-fixture-${fx.name}-edit`)
        const out = await saveOutcome(page)
        const after = (await pageApi(page, 'GET', `inbounds/get/${row.id}`)).obj
        const d = jsonDiff(before, after)
        assert(!d, `${fx.name} inbound ${row.id} (${row.protocol}) changed by an unchanged save: ${d}`)
        const known = fx.refused[row.id]
        if (known) {
          assert(!out.saved && out.text.includes(known[0]), `${fx.name} inbound ${row.id}: want refusal "${known[0]}", got ${JSON.stringify(out)}`)
          notes.push(`inbound ${row.id} (${row.protocol}) not taken today: ${known[0]} (${known[1]})`)
          await shot(`lossless-fixture-${fx.name}-refused-${row.id}`)
          await dialog(page).getByRole('button', { name: 'Cancel' }).click()
          await until('dialog closed', async () => (await dialog(page).count()) === 0)
        } else assert(out.saved, `${fx.name} inbound ${row.id} (${row.protocol}) refused: ${out.text}`)
      }
      if (fx.clients) {
        // Each client's edit dialog saved unchanged: the client and its
        // inbound (every other client, every column) stay as stored.
        const inbBefore = (await pageApi(page, 'GET', 'inbounds/list')).obj
        const rows = (await pageApi(page, 'GET', 'clients/list/paged?page=1&pageSize=200')).obj.items
        await page.goto(fp.url + 'panel/clients')
        for (const r of rows) {
          const before = (await pageApi(page, 'GET', `clients/get/${encodeURIComponent(r.email)}`)).obj.client
          await rowOf(page, r.email).getByRole('button', { name: 'Edit', exact: true }).click()
          await dialog(page).getByLabel('Email', { exact: true }).waitFor()
          const out = await saveOutcome(page)
          assert(out.saved, `${fx.name} client ${r.email} refused: ${out.text}`)
          const after = (await pageApi(page, 'GET', `clients/get/${encodeURIComponent(r.email)}`)).obj.client
          const d = jsonDiff(before, after)
          assert(!d, `${fx.name} client ${r.email} changed by an unchanged save: ${d}`)
        }
        const strip = (l) => l.map((i) => ({ ...i, clientStats: undefined }))
        const d = jsonDiff(strip(inbBefore), strip((await pageApi(page, 'GET', 'inbounds/list')).obj))
        assert(!d, `${fx.name} inbounds changed by unchanged client saves: ${d}`)
        console.log(`     ${fx.name}: ${rows.length} clients saved from the dialog, stored JSON unchanged`)
      }
      for (const n of notes) console.log(`     ${fx.name}: ${n}`)
      console.log(`     ${fx.name}: ${list.length - notes.length} of ${list.length} inbounds saved from the dialog, stored JSON unchanged`)
      await fp.stop()
    })
  }

  await step('log back in to the test panel; Xray on its own API port', async () => {
    await loginAs(page, panel.url, 'admin', 'admin')
    await ownApiPort(page)
  })

  let id = 0, wsPort = 0
  const expiry = Date.now() + 90 * 86400000
  await step('a rename keeps the expiry and every field the form does not show; Raw JSON shows them', async () => {
    wsPort = await freePort()
    const add = await pageApi(page, 'POST', 'inbounds/add', {
      remark: 'lossless-ws', enable: true, listen: '127.0.0.1', port: wsPort, protocol: 'vmess', total: 53687091200, expiryTime: expiry,
      settings: JSON.stringify({ clients: [{ id: '2f0c6a1e-7b4d-4c3e-9a8b-1d2e3f4a5b6c', email: 'lossless@e2e', limitIp: 2, comment: 'vip', tgId: 123456789 }], disableInsecureEncryption: false }),
      streamSettings: JSON.stringify({ network: 'ws', security: 'none', wsSettings: { path: '/ws', host: '', headers: { 'X-Custom-Header': 'kept' }, acceptProxyProtocol: false }, sockopt: { tcpFastOpen: true, mark: 0 } }),
      sniffing: JSON.stringify({ enabled: true, destOverride: ['http', 'tls'], metadataOnly: false, routeOnly: true }),
    })
    assert(add.success, `add: ${add.msg}`)
    id = add.obj.id
    const before = (await pageApi(page, 'GET', `inbounds/get/${id}`)).obj
    await openInbounds(page, panel.url)
    await openEdit(page, 'lossless-ws')
    await dialog(page).getByRole('tab', { name: 'Raw JSON' }).click()
    const stream = dialog(page).getByRole('textbox', { name: 'streamSettings (JSON)' })
    await until('raw stream JSON', async () => /X-Custom-Header/.test(await stream.textContent()) && /tcpFastOpen/.test(await stream.textContent()))
    await shot('lossless-raw-json')
    await dialog(page).getByRole('tab', { name: 'Form' }).click()
    await dialog(page).getByLabel('Remark', { exact: true }).fill('lossless-renamed')
    assert((await saveOutcome(page)).saved, 'rename refused')
    const after = (await pageApi(page, 'GET', `inbounds/get/${id}`)).obj
    assert(after.expiryTime === expiry, `expiry ${after.expiryTime}, want ${expiry}`)
    const d = jsonDiff({ ...before, remark: 'lossless-renamed' }, after)
    assert(!d, `rename changed more than the remark: ${d}`)
    await until('renamed row shows its expiry', async () => (await rowOf(page, 'lossless-renamed').count()) === 1 && !/Never/.test(await rowOf(page, 'lossless-renamed').textContent()))
    await shot('lossless-renamed')
  })

  await step('editing the path writes it into the stored stream settings and keeps the custom header', async () => {
    const before = (await pageApi(page, 'GET', `inbounds/get/${id}`)).obj
    await openEdit(page, 'lossless-renamed')
    await dialog(page).getByLabel('Path', { exact: true }).fill('/changed')
    assert((await saveOutcome(page)).saved, 'path edit refused')
    const after = (await pageApi(page, 'GET', `inbounds/get/${id}`)).obj
    const st = JSON.parse(before.streamSettings)
    st.wsSettings.path = '/changed'
    const d = jsonDiff({ ...before, streamSettings: st }, after)
    assert(!d, `path edit changed more: ${d}`)
  })

  await step('a client saved unchanged from its edit dialog keeps every stored field; a changed comment changes only that', async () => {
    const before = (await pageApi(page, 'GET', 'clients/get/lossless@e2e')).obj.client
    await page.goto(panel.url + 'panel/clients')
    // Found by the search box: earlier scenarios may have added pages.
    await page.getByPlaceholder('Search', { exact: true }).fill('lossless@e2e')
    await rowOf(page, 'lossless@e2e').getByRole('button', { name: 'Edit', exact: true }).click()
    await dialog(page).getByLabel('Email', { exact: true }).waitFor()
    assert((await saveOutcome(page)).saved, 'unchanged client refused')
    let after = (await pageApi(page, 'GET', 'clients/get/lossless@e2e')).obj.client
    let d = jsonDiff(before, after)
    assert(!d, `unchanged client save changed: ${d}`)
    await rowOf(page, 'lossless@e2e').getByRole('button', { name: 'Edit', exact: true }).click()
    await dialog(page).getByLabel('Comment', { exact: true }).fill('vip2')
    assert((await saveOutcome(page)).saved, 'comment edit refused')
    after = (await pageApi(page, 'GET', 'clients/get/lossless@e2e')).obj.client
    d = jsonDiff({ ...before, comment: 'vip2' }, after)
    assert(!d, `comment edit changed more: ${d}`)
    await page.goto(panel.url + 'panel/inbounds')
    await page.getByRole('button', { name: 'Add inbound' }).waitFor()
  })

  const ssPort = await freePort()
  await step('a Shadowsocks-2022 inbound is created from the form with a server key of the method size', async () => {
    await page.getByRole('button', { name: 'Add inbound' }).click()
    await dialog(page).getByLabel('Remark', { exact: true }).fill('e2e-ss2022')
    await dialog(page).getByLabel('Port', { exact: true }).fill(String(ssPort))
    await choose(page, 'Protocol', 'shadowsocks')
    const key16 = dialog(page).getByLabel('Server key (base64, 16 bytes)')
    await key16.waitFor()
    const k16 = await key16.inputValue()
    assert(Buffer.from(k16, 'base64').length === 16, `128-bit key ${k16}`)
    await choose(page, 'Method', '2022-blake3-aes-256-gcm')
    const key32 = dialog(page).getByLabel('Server key (base64, 32 bytes)')
    await until('a 32-byte key', async () => Buffer.from(await key32.inputValue(), 'base64').length === 32)
    await key32.fill('too-short')
    await dialog(page).getByRole('button', { name: 'Save' }).click()
    const e = await fieldError(page, 'Server key (base64, 32 bytes)')
    assert(/32 bytes/.test(e), `key error: ${e}`)
    await shot('lossless-ss2022-key-error')
    await dialog(page).getByRole('button', { name: 'New key' }).click()
    assert(Buffer.from(await key32.inputValue(), 'base64').length === 32, 'new key size')
    assert((await saveOutcome(page)).saved, 'ss2022 inbound refused')
    const inb = (await pageApi(page, 'GET', 'inbounds/list')).obj.find((i) => i.remark === 'e2e-ss2022')
    const s = JSON.parse(inb.settings)
    assert(s.method === '2022-blake3-aes-256-gcm' && Buffer.from(s.password, 'base64').length === 32, `stored ${inb.settings}`)
  })

  await step('a client of the Shadowsocks-2022 inbound gets a base64 key of the method size', async () => {
    await page.goto(panel.url + 'panel/clients')
    await page.getByRole('button', { name: 'Add client' }).click()
    await choose(page, 'Inbound', `e2e-ss2022 (shadowsocks:${ssPort})`)
    const key = dialog(page).getByLabel('Key (base64, 32 bytes)')
    await until('client key of 32 bytes', async () => Buffer.from(await key.inputValue(), 'base64').length === 32)
    await dialog(page).getByLabel('Email', { exact: true }).fill('ss2022@e2e')
    await shot('lossless-ss2022-client')
    assert((await saveOutcome(page)).saved, 'ss2022 client refused')
    const d = (await pageApi(page, 'GET', 'clients/get/ss2022@e2e')).obj
    assert(Buffer.from(d.client.password, 'base64').length === 32, `client key ${d.client.password}`)
    await until('xray running', async () => (await pageApi(page, 'GET', 'server/status')).obj?.xray?.state === 'running', 30000)
  })

  await step('a negative quota is refused at its field, nothing saved', async () => {
    await page.getByRole('button', { name: 'Add client' }).click()
    await choose(page, 'Inbound', `lossless-renamed (vmess:${wsPort})`)
    await dialog(page).getByLabel('Email', { exact: true }).fill('negative@e2e')
    await dialog(page).getByLabel('Quota (GB, 0 = unlimited)').fill('-5')
    await dialog(page).getByRole('button', { name: 'Save' }).click()
    const e = await fieldError(page, 'Quota (GB, 0 = unlimited)')
    assert(/0 \(unlimited\) or more/.test(e), `quota error: ${e}`)
    await shot('lossless-negative-quota')
    await dialog(page).getByRole('button', { name: 'Cancel' }).click()
    const r = await pageApi(page, 'GET', 'clients/get/negative@e2e')
    assert(!r.success, 'a client was saved')
    const count = (await pageApi(page, 'GET', 'clients/list/paged?page=1&pageSize=1')).obj.total
    await page.getByRole('button', { name: 'Add many' }).click()
    await choose(page, 'Inbound', `lossless-renamed (vmess:${wsPort})`)
    await dialog(page).getByLabel('Quota (GB, 0 = unlimited)').fill('-5')
    await dialog(page).getByRole('button', { name: 'Add', exact: true }).click()
    assert(/0 \(unlimited\) or more/.test(await fieldError(page, 'Quota (GB, 0 = unlimited)')), 'add-many quota error')
    await dialog(page).getByRole('button', { name: 'Cancel' }).click()
    assert((await pageApi(page, 'GET', 'clients/list/paged?page=1&pageSize=1')).obj.total === count, 'add many saved clients')
    await page.goto(panel.url + 'panel/inbounds')
    await openEdit(page, 'lossless-renamed')
    await dialog(page).getByLabel('Total quota (GB, 0 = unlimited)').fill('-5')
    await dialog(page).getByRole('button', { name: 'Save' }).click()
    assert(/0 \(unlimited\) or more/.test(await fieldError(page, 'Total quota (GB, 0 = unlimited)')), 'inbound quota error')
    await dialog(page).getByRole('button', { name: 'Cancel' }).click()
    assert((await pageApi(page, 'GET', `inbounds/get/${id}`)).obj.total === 53687091200, 'inbound quota changed')
  })

  await step('server refusals show at the field in its words, short, the full text on demand', async () => {
    // A duplicate email: the server names the field "email".
    await page.goto(panel.url + 'panel/clients')
    await page.getByRole('button', { name: 'Add client' }).click()
    await choose(page, 'Inbound', `lossless-renamed (vmess:${wsPort})`)
    await dialog(page).getByLabel('Email', { exact: true }).fill('ss2022@e2e')
    const out = await saveOutcome(page)
    assert(!out.saved && /already used/.test(out.text) && !/^email:/.test(out.text), `refusal: ${JSON.stringify(out)}`)
    const e = await fieldError(page, 'Email')
    assert(/already used/.test(e) && !/^email:/.test(e), `email error: ${e}`)
    await shot('lossless-server-error-field')
    await dialog(page).getByRole('button', { name: 'Cancel' }).click()
    // An Xray refusal is long: a short line, the rest behind Details.
    await page.goto(panel.url + 'panel/inbounds')
    await openEdit(page, 'lossless-renamed')
    await dialog(page).getByRole('tab', { name: 'Raw JSON' }).click()
    const sniff = dialog(page).getByRole('textbox', { name: 'sniffing (JSON)' })
    await sniff.click()
    await page.keyboard.press('Control+A')
    await page.keyboard.insertText('{"enabled": true, "destOverride": ["no-such-protocol"]}')
    const bad = await saveOutcome(page)
    assert(!bad.saved, 'a bad sniffing was saved')
    const alert = dialog(page).getByRole('alert').first()
    const short = (await alert.textContent()) ?? ''
    assert(/unknown protocol: no-such-protocol/.test(short) && short.length < 200 && !/infra\/conf/.test(short), `short refusal: ${short}`)
    await alert.getByRole('button', { name: 'Details' }).click()
    await until('full text', async () => /failed to build sniffing config/.test(await alert.textContent()))
    await shot('lossless-server-error-details')
    await dialog(page).getByRole('button', { name: 'Cancel' }).click()
    // The account form: a wrong current password shows under Current password.
    await page.goto(panel.url + 'panel/settings/account')
    await page.getByLabel('Current username', { exact: true }).fill('admin')
    await page.getByLabel('Current password', { exact: true }).fill('not-the-password')
    await page.getByLabel('New username', { exact: true }).fill('admin')
    await page.getByLabel('New password', { exact: true }).fill('another-pass-1')
    await page.getByRole('button', { name: 'Change credentials' }).click()
    const pw = page.getByLabel('Current password', { exact: true })
    const pwErr = await until('error at Current password', async () => (await pw.getAttribute('aria-invalid')) === 'true' && describedBy(page, pw))
    assert(/wrong/.test(pwErr) && !/oldPassword/.test(pwErr), `account error: ${pwErr}`)
    await shot('lossless-account-error')
  })
}
