// First-hour scenario (issue 26): what a new admin meets on a fresh panel,
// on a panel of its own (admin/admin, single node), driven by visible
// labels and roles. Screenshots fh-*.png in e2e-out/.
import { join } from 'node:path'
import { startPanel, until, freePort } from './harness.mjs'
import { pageApi } from './run.mjs'
import { a11yScenario } from './a11y.mjs'

async function loginAs(page, url, username, password) {
  await page.goto(url)
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Log in', exact: true }).click()
  await page.waitForURL(/\/panel\/$/)
}

const menu = (page, name) => page.getByRole('menuitem', { name, exact: true })
const rowWith = (page, text) => page.getByRole('row').filter({ has: page.getByRole('cell', { name: text, exact: true }) })

export async function firstHourScenario({ bin, xray, ctx, step, assert, out, cleanups }) {
  const panel = await startPanel({ bin, xray, name: 'firsthour' })
  cleanups.push(panel.stop)
  const page = await ctx.newPage()
  cleanups.push(() => page.close())
  const shot = (name) => page.screenshot({ path: join(out, `fh-${name}.png`), fullPage: true })
  await page.goto(panel.url)
  await page.evaluate(() => { localStorage.setItem('xui.lang', 'en'); localStorage.setItem('xui.theme', 'light') })

  await step('first hour: admin/admin shows a banner to change the credentials', async () => {
    await loginAs(page, panel.url, 'admin', 'admin')
    const banner = page.getByRole('alert').filter({ hasText: 'default username and password' })
    await banner.waitFor()
    assert(await banner.getByRole('button', { name: 'Change them now' }).isVisible(), 'no button to change them')
    await shot('banner')
    // Other panels on this machine may hold the template's API port.
    const tpl = await pageApi(page, 'GET', 'setting/getXrayTemplate')
    const t = typeof tpl.obj === 'string' ? JSON.parse(tpl.obj) : tpl.obj
    t.inbounds.find((i) => i.tag === 'api').port = await freePort()
    const r = await pageApi(page, 'POST', 'setting/updateXrayTemplate', { xraySetting: JSON.stringify(t) })
    assert(r.success, r.msg)
    await pageApi(page, 'POST', 'server/restartXrayService')
  })

  if (process.env.XUI_E2E_ONLY === 'a11y') return a11yScenario({ panel, page, step, assert, shot })

  await step('first hour: the Nodes page of a single node shows this node and how to add workers', async () => {
    await menu(page, 'Nodes').click()
    const card = page.getByRole('region', { name: 'This node' }).or(page.locator('#this-node'))
    await card.getByText('master', { exact: true }).waitFor()
    await until('xray running', async () => (await card.getByText('running', { exact: true }).count()) === 1, 30000)
    const text = await card.textContent()
    assert(/Panel version\s*\S+/.test(text) && /Xray version\s*\d/.test(text), `card: ${text}`)
    const link = page.getByRole('link', { name: 'How to add workers' })
    assert(/multi-node-sync\.md$/.test(await link.getAttribute('href')), 'docs link')
    assert(await page.getByRole('columnheader', { name: 'Heartbeat' }).count() === 0, 'an empty nodes table is still shown')
    await shot('nodes')
  })

  await step('first hour: every setting has a readable label and a help text, in en and zh-CN', async () => {
    for (const tab of ['subscription', 'panel']) {
      await page.goto(panel.url + 'panel/settings/' + tab)
      const form = page.locator(tab === 'panel' ? '#panel-settings' : '#sub-settings')
      await form.getByRole('button', { name: 'Save' }).waitFor()
      const labels = await form.locator('label').allTextContents()
      assert(labels.length > (tab === 'panel' ? 5 : 25), `${tab}: ${labels.length} labels`)
      const raw = labels.filter((l) => /^[a-z]+[A-Z][A-Za-z]*$/.test(l.trim()))
      assert(raw.length === 0, `${tab}: raw keys as labels: ${raw.join(', ')}`)
      const unknown = await form.getByText(/see the documentation/).count()
      assert(unknown === 0, `${tab}: ${unknown} settings without their own help`)
      await shot('settings-' + tab)
    }
    await page.goto(panel.url + 'panel/settings/subscription')
    await page.getByLabel('Clash User-Agents').waitFor()
    await page.getByText('Regular expression of app User-Agents that get Clash YAML.').waitFor()
    await page.evaluate(() => localStorage.setItem('xui.lang', 'zh-CN'))
    await page.goto(panel.url + 'panel/settings/subscription')
    await page.getByLabel('Clash User-Agent').waitFor()
    await page.getByText('获得 Clash YAML 的应用 User-Agent 正则表达式。').waitFor()
    await shot('settings-subscription-zh')
    await page.evaluate(() => localStorage.setItem('xui.lang', 'en'))
  })

  await step('first hour: Stop Xray asks first and says "Xray stopped"', async () => {
    await page.goto(panel.url + 'panel/')
    await page.locator('#xray-state').getByText('running').waitFor({ timeout: 30000 })
    await page.getByRole('button', { name: 'Stop Xray' }).click()
    const dlg = page.getByRole('dialog').filter({ hasText: 'Stop Xray?' })
    await dlg.waitFor()
    await shot('stop-confirm')
    await dlg.getByRole('button', { name: 'Cancel' }).click()
    await dlg.waitFor({ state: 'hidden' })
    const st = await pageApi(page, 'GET', 'server/status')
    assert(st.obj.xray.state === 'running', `cancel stopped Xray: ${st.obj.xray.state}`)
    await page.getByRole('button', { name: 'Stop Xray' }).click()
    await dlg.getByRole('button', { name: 'Stop Xray' }).click()
    await page.getByText('Xray stopped', { exact: true }).waitFor()
    await page.locator('#xray-state').getByText('stopped').waitFor()
    await shot('stopped')
    await page.getByRole('button', { name: 'Restart Xray' }).click()
    await page.getByText('Xray restarted', { exact: true }).waitFor()
    await page.locator('#xray-state').getByText('running').waitFor({ timeout: 30000 })
  })

  await step('first hour: delete confirmations name the inbound, the client and how many clients go', async () => {
    const clients = ['fh-a@x', 'fh-b@x', 'fh-c@x'].map((email, i) => ({ id: `7c4b3a2e-1f0d-4c8b-9a6e-5d4c3b2a1f0${i}`, email, enable: true }))
    const add = await pageApi(page, 'POST', 'inbounds/add', {
      remark: 'fh-in', enable: true, listen: '127.0.0.1', port: await freePort(), protocol: 'vless',
      settings: JSON.stringify({ clients, decryption: 'none' }), streamSettings: '{"network":"tcp","security":"none"}', sniffing: '{"enabled":false}',
    })
    assert(add.success, JSON.stringify(add))
    await menu(page, 'Inbounds').click()
    await rowWith(page, 'fh-in').getByRole('button', { name: 'Delete' }).click()
    const pop = page.getByRole('tooltip').filter({ hasText: 'Delete inbound "fh-in"?' })
    await pop.getByText('Clients deleted with it: 3.').waitFor()
    await shot('delete-inbound')
    await pop.getByRole('button', { name: 'Cancel' }).click()
    await menu(page, 'Clients').click()
    await rowWith(page, 'fh-a@x').getByRole('button', { name: 'Delete' }).click()
    const one = page.getByRole('tooltip').filter({ hasText: 'Delete client "fh-a@x"?' })
    await one.waitFor()
    await one.getByRole('button', { name: 'Cancel' }).click()
    await page.getByRole('checkbox', { name: 'fh-b@x' }).check()
    await page.getByRole('checkbox', { name: 'fh-c@x' }).check()
    await page.getByRole('button', { name: 'Delete', exact: true }).first().click()
    const bulk = page.getByRole('tooltip').filter({ hasText: 'Delete the selected clients (2)?' })
    await bulk.waitFor()
    await shot('delete-clients')
    await bulk.getByRole('button', { name: 'Delete' }).click()
    await until('two deleted', async () => (await rowWith(page, 'fh-b@x').count()) === 0 && (await rowWith(page, 'fh-a@x').count()) === 1)
  })

  await step('first hour: Chinese mode translates states and roles from the server', async () => {
    await page.evaluate(() => localStorage.setItem('xui.lang', 'zh-CN'))
    await page.goto(panel.url + 'panel/')
    await page.locator('#xray-state').getByText('运行中').waitFor({ timeout: 30000 })
    await shot('overview-zh')
    const english = /\b(running|stopped|stop|master|worker|cores|Never|Unlimited|Enabled|Delete|Edit|Save|Search|none|true|false)\b/
    for (const [name, path] of [['overview', ''], ['nodes', 'nodes'], ['logs', 'logs'], ['inbounds', 'inbounds'], ['clients', 'clients'], ['settings', 'settings/panel'], ['subscription', 'settings/subscription']]) {
      await page.goto(panel.url + 'panel/' + path)
      await page.getByRole('menuitem', { name: '概览' }).waitFor()
      await page.waitForLoadState('networkidle')
      // The log lines themselves are Xray's and the panel's own words.
      const text = await page.locator('.ant-layout-content').first().evaluate((el) => { const c = el.cloneNode(true); c.querySelectorAll('pre').forEach((p) => p.remove()); return c.innerText })
      const hit = text.match(english)
      assert(!hit, `${name} in Chinese shows "${hit?.[0]}": ${text.slice(Math.max(0, hit?.index - 60), hit?.index + 60)}`)
    }
    await page.evaluate(() => localStorage.setItem('xui.lang', 'en'))
  })

  await step('first hour: CPU gauge at 100 % shows the value, no ✓; throughput axes readable', async () => {
    // The server's real status, with CPU and rates set to what the issue saw:
    // a full CPU, 976.56 KB/s, and a first sample that is a spike.
    let n = 0
    await page.route('**/panel/api/server/status', async (route) => {
      const res = await route.fetch()
      const body = await res.json()
      body.obj.cpu = 100
      body.obj.netIO = n++ === 0 ? { up: 50 * 1024 ** 3, down: 50 * 1024 ** 3 } : { up: 1000000, down: 400000 + n }
      await route.fulfill({ response: res, json: body })
    })
    await page.goto(panel.url + 'panel/')
    const cpu = page.getByRole('progressbar', { name: 'CPU' }).or(page.locator('.ant-card').filter({ hasText: 'CPU' }).locator('.ant-progress'))
    await cpu.first().getByText('100%').waitFor()
    assert(await cpu.first().getByRole('img', { name: 'check' }).count() === 0, 'a ✓ at 100 %')
    const chart = page.locator('#throughput-chart')
    await until('four points', async () => (await chart.getAttribute('data-xlabels') || '').split('|').length >= 2 && n >= 5)
    const d = await chart.evaluate((el) => ({ ...el.dataset }))
    assert(!/GB/.test(d.ylabels), `the first (spike) sample is plotted: ${d.ylabels}`)
    assert(d.xticks.split(',').every((v) => Number.isInteger(Number(v))), `x ticks not whole seconds: ${d.xticks}`)
    const widest = await page.evaluate((labels) => {
      const c = document.createElement('canvas').getContext('2d')
      c.font = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif'
      return Math.max(...labels.split('|').map((l) => c.measureText(l).width))
    }, d.ylabels)
    assert(Number(d.ysize) >= widest + 10, `y axis ${d.ysize}px for labels ${widest}px wide: ${d.ylabels}`)
    await shot('overview-gauges')
    await page.unroute('**/panel/api/server/status')
  })

  await step('first hour: Logs have auto-refresh and search', async () => {
    await menu(page, 'Logs').click()
    const sw = page.getByRole('switch', { name: 'Auto-refresh' })
    assert(await sw.getAttribute('aria-checked') === 'true', 'auto-refresh starts on')
    await page.getByRole('tab', { name: 'Panel log' }).click()
    await until('panel log lines', async () => (await page.locator('#panel-log-text').innerText()).split('\n').length > 3)
    let calls = 0
    page.on('request', (r) => { if (/server\/panelLogs/.test(r.url())) calls++ })
    await sw.click()
    assert(await sw.getAttribute('aria-checked') === 'false', 'switch did not turn off')
    const before = calls
    await page.waitForTimeout(6500) // longer than the 5 s refresh
    assert(calls === before, `${calls - before} refreshes while auto-refresh was off`)
    await sw.click()
    await until('refresh resumes', async () => calls > before)
    // A word of the log itself, so the search has something to find.
    const all = (await page.locator('#panel-log-text').innerText()).split('\n').filter(Boolean)
    const word = all.at(-1).match(/[A-Za-z]{5,}/g).at(-1)
    await page.getByRole('searchbox', { name: 'Search the log' }).fill(word)
    const status = page.getByRole('status').filter({ hasText: 'matching lines' })
    await status.waitFor()
    const lines = (await page.locator('#panel-log-text').innerText()).split('\n').filter(Boolean)
    assert(lines.length > 0 && lines.every((l) => l.toLowerCase().includes(word.toLowerCase())), `filtered by ${word}: ${lines.slice(0, 3).join(' / ')}`)
    assert((await status.textContent()).startsWith(`${lines.length} `), `count ${await status.textContent()} for ${lines.length} lines`)
    await shot('logs')
  })

  if (process.env.XUI_E2E_A11Y !== '0') await a11yScenario({ panel, page, step, assert, shot })

  await step('first hour: changing admin/admin removes the banner', async () => {
    await page.getByRole('alert').filter({ hasText: 'default username' }).getByRole('button', { name: 'Change them now' }).click()
    await page.waitForURL(/settings\/account$/)
    await page.getByLabel('Current username').fill('admin')
    await page.getByLabel('Current password').fill('admin')
    await page.getByLabel('New username').fill('fh-owner')
    await page.getByLabel('New password').fill('fh-password-1')
    await page.getByRole('button', { name: 'Change credentials' }).click()
    await page.waitForURL(/\/(login|panel\/)$/)
    await page.getByRole('button', { name: 'Log out' }).or(page.getByRole('link', { name: 'Log out' })).click().catch(() => {})
    await loginAs(page, panel.url, 'fh-owner', 'fh-password-1')
    await page.locator('#xray-state').waitFor()
    await page.waitForLoadState('networkidle')
    assert(await page.getByRole('alert').filter({ hasText: 'default username' }).count() === 0, 'banner still shown')
    await shot('no-banner')
  })
  return { panel, page, shot }
}
