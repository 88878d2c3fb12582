// Worker scenario: a master and a worker sharing a fresh MariaDB database.
import { execFileSync } from 'node:child_process'
import { startPanel, until } from './harness.mjs'
import { login } from './run.mjs'

const DB = { host: process.env.XUI_TEST_MARIADB_HOST || '127.0.0.1', port: Number(process.env.XUI_TEST_MARIADB_PORT || 3306), user: process.env.XUI_TEST_MARIADB_USER || 'xui_test', password: process.env.XUI_TEST_MARIADB_PASSWORD || 'xui_test' }

function sql(stmt) {
  execFileSync('mariadb', ['-h', DB.host, '-P', String(DB.port), '-u', DB.user, `-p${DB.password}`, '-e', stmt], { stdio: 'pipe' })
}

export async function workerScenario({ bin, xray, step, assert, shot, ctx, cleanups }) {
  const name = 'xui_ui_e2e_' + Math.random().toString(16).slice(2, 10)
  sql(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  cleanups.push(() => sql(`DROP DATABASE IF EXISTS ${name}`))
  const conn = { dbType: 'mariadb', dbHost: DB.host, dbPort: DB.port, dbUser: DB.user, dbName: name }
  const env = { XUI_DB_PASSWORD: DB.password }
  Object.assign(process.env, env)
  const master = await startPanel({ bin, xray, name: 'master', base: '/m/', extra: { databaseConnection: conn, node: { nodeRole: 'master', nodeId: 'm1', nodeAddress: '127.0.0.1', syncInterval: 1 } } })
  cleanups.push(master.stop)
  const worker = await startPanel({ bin, xray, name: 'worker', base: '/w/', extra: { databaseConnection: conn, node: { nodeRole: 'worker', nodeId: 'w1', nodeAddress: 'worker-1.test', syncInterval: 1 } } })
  cleanups.push(worker.stop)
  const page = await ctx.newPage()

  await step('a worker\'s UI is read-only with the banner naming the master', async () => {
    await login(page, worker.url)
    const banner = await page.waitForSelector('#worker-banner')
    const text = await banner.textContent()
    assert(text.includes('worker') && text.includes('127.0.0.1'), `banner: ${text}`)
    await page.click('.ant-menu >> text=Inbounds')
    await page.waitForSelector('#add-inbound')
    assert(await page.isDisabled('#add-inbound'), 'add inbound is enabled on a worker')
    await page.click('.ant-menu >> text=Clients')
    assert(await page.isDisabled('#add-client'), 'add client is enabled on a worker')
    await page.getByRole('menuitem', { name: 'Notifications' }).click()
    await page.getByLabel('Bot token', { exact: true }).waitFor()
    for (const name of ['Save', 'Send test message']) assert(await page.getByRole('button', { name }).isDisabled(), `${name} is enabled on a worker`)
    await page.getByRole('tab', { name: 'Webhooks' }).click()
    assert(await page.getByRole('button', { name: 'Add webhook' }).isDisabled(), 'Add webhook is enabled on a worker')
    await shot('worker-readonly', page)
  })

  await step('the nodes page shows a live worker, then marks it stale after it stops', async () => {
    await login(page, master.url)
    await page.goto(master.url + 'panel/nodes')
    await page.waitForSelector('tr:has-text("w1") .live-tag', { timeout: 30000 })
    const traffic = await page.textContent('tr:has-text("w1") .node-traffic24h')
    const syncs = await page.textContent('tr:has-text("w1") .node-syncs')
    assert(/↑ \d.* B \/ ↓ \d.* B/.test(traffic) && /^\d+ \/ \d+$/.test(syncs.trim()), `24 h traffic ${traffic}, syncs ${syncs}`)
    await shot('nodes-live', page)
    await worker.stop()
    await page.waitForSelector('tr:has-text("w1") .stale-tag', { timeout: 60000 })
    await shot('nodes-stale', page)
  })
  await page.close()
}
