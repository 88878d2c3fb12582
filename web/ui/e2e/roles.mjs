// Roles scenario: an owner adds a viewer and an operator on the Admins page's
// API, then each logs in in its own browser and sees only the buttons its
// role may use. Buttons are found by role and accessible name, not CSS.
import { join } from 'node:path'
import { launchBrowser, freePort } from './harness.mjs'
import { pageApi } from './run.mjs'

async function loginAs(page, url, username, password) {
  await page.goto(url)
  await page.evaluate(() => localStorage.setItem('xui.lang', 'en'))
  await page.goto(url)
  await page.fill('#username', username)
  await page.fill('#password', password)
  await page.click('#login-submit')
  await page.waitForURL(/\/panel\/$/)
  await page.waitForSelector('#whoami')
}

// count of buttons named name (exactly) on the page, or in one of its parts.
const buttons = (page, name) => page.getByRole('button', { name, exact: true }).count()
// rowWith is the table row holding a cell named text.
const rowWith = (page, text) => page.getByRole('row').filter({ has: page.getByRole('cell', { name: text, exact: true }) })
const menuItem = (page, name) => page.getByRole('menuitem', { name, exact: true }).count()

export async function rolesScenario({ panel, page, step, assert, out, cleanups }) {
  const users = { viewer: 'e2e-viewer', operator: 'e2e-operator' }
  const password = 'role-password-1'

  await step('the owner adds a viewer and an operator; the Admins page lists them', async () => {
    const port = await freePort()
    const inbound = await pageApi(page, 'POST', 'inbounds/add', {
      remark: 'roles', enable: true, listen: '127.0.0.1', port, protocol: 'vless',
      settings: JSON.stringify({ clients: [{ id: '6f1b3f5e-3a2b-4c1d-9e8f-7a6b5c4d3e2f', email: 'role-e2e@x', enable: true }], decryption: 'none' }),
      streamSettings: '{"network":"tcp","security":"none"}', sniffing: '{"enabled":false}',
    })
    assert(inbound.success, `add inbound: ${JSON.stringify(inbound)}`)
    for (const [role, username] of Object.entries(users)) {
      const r = await pageApi(page, 'POST', 'admins/add', { username, password, role })
      assert(r.success, `add ${role}: ${JSON.stringify(r)}`)
    }
    await page.goto(panel.url + 'panel/admins')
    await page.getByRole('cell', { name: users.operator, exact: true }).waitFor()
    assert(await buttons(page, 'Add admin') === 1, 'the owner has no Add admin button')
    assert(await menuItem(page, 'Admins') === 1, 'the owner has no Admins menu entry')
    await page.waitForTimeout(400) // the table's fade-in, for the picture only
    await page.screenshot({ path: join(out, 'roles-admins.png'), fullPage: true })
  })

  for (const role of ['viewer', 'operator']) {
    await step(`a ${role} sees no button its role may not use`, async () => {
      const ctx = await launchBrowser()
      cleanups.push(() => ctx.close())
      const p = ctx.pages()[0] ?? await ctx.newPage()
      try {
        await loginAs(p, panel.url, users[role], password)
        const canWrite = role === 'operator'
        assert(await menuItem(p, 'Admins') === 0, `${role} has the Admins menu entry`)
        await p.getByText('Xray', { exact: true }).first().waitFor()
        assert(await buttons(p, 'Restart Xray') === 0 && await buttons(p, 'Stop Xray') === 0, `${role} can restart Xray`)

        await p.goto(panel.url + 'panel/inbounds')
        await p.getByRole('cell', { name: 'roles', exact: true }).waitFor()
        const inRow = rowWith(p, 'roles')
        assert(await buttons(p, 'Add inbound') === (canWrite ? 1 : 0), `${role}: Add inbound button`)
        assert(await buttons(inRow, 'Edit') === (canWrite ? 1 : 0), `${role}: inbound Edit button`)
        assert(await buttons(inRow, 'Delete') === (canWrite ? 1 : 0), `${role}: inbound Delete button`)
        await p.screenshot({ path: join(out, `roles-${role}-inbounds.png`), fullPage: true })

        await p.goto(panel.url + 'panel/clients')
        await p.getByPlaceholder('Search').fill('role-e2e') // other scenarios' clients fill page 1
        await p.getByRole('cell', { name: 'role-e2e@x', exact: true }).first().waitFor()
        const clRow = rowWith(p, 'role-e2e@x')
        assert(await buttons(p, 'Add client') === (canWrite ? 1 : 0), `${role}: Add client button`)
        assert(await buttons(p, 'Add many') === (canWrite ? 1 : 0), `${role}: Add many button`)
        assert(await buttons(clRow, 'Edit') === (canWrite ? 1 : 0), `${role}: client Edit button`)
        assert(await buttons(clRow, 'Reset traffic') === (canWrite ? 1 : 0), `${role}: client Reset button`)
        assert(await buttons(clRow, 'Delete') === (canWrite ? 1 : 0), `${role}: client Delete button`)
        assert(await buttons(clRow, 'Share') === 1, `${role}: the Share button (a read) is missing`)
        await p.screenshot({ path: join(out, `roles-${role}-clients.png`), fullPage: true })

        await p.goto(panel.url + 'panel/settings')
        await p.getByRole('tab', { name: 'Account', exact: true }).waitFor()
        assert(await p.getByRole('tab', { name: 'API tokens', exact: true }).count() === (canWrite ? 1 : 0), `${role}: API tokens tab`)
        assert(await p.getByRole('tab', { name: 'Backup', exact: true }).count() === 0, `${role}: Backup tab`)
        if (role === 'viewer') {
          // A viewer reads the panel settings but has no Save.
          await p.locator('#panel-settings').waitFor()
          assert(await buttons(p, 'Save') === 0, 'viewer: a Save button on the settings')
        }
        await p.screenshot({ path: join(out, `roles-${role}-settings.png`), fullPage: true })

        // The server refuses what the UI hides, naming the permission.
        const r = await pageApi(p, 'POST', 'server/restartXrayService')
        assert(!r.success && /permission xray\.restart/.test(r.msg), `${role} restart: ${JSON.stringify(r)}`)
      } finally {
        await ctx.close()
      }
    })
  }
}
