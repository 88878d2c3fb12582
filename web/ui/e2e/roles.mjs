// Roles scenario: an owner adds a viewer, an operator and an admin on the
// Admins page's API, then each logs in in its own browser and sees only the
// buttons and menu entries its role may use (inbounds, clients, settings,
// notifications, the audit log, admins); the server refuses what is hidden,
// naming the permission. Buttons are found by role and accessible name.
import { join } from 'node:path'
import { launchBrowser, freePort, until } from './harness.mjs'
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
// named counts buttons whose accessible name starts with prefix (the
// webhook row's buttons are named "Delete <url>" and so on).
const named = (page, prefix) => page.getByRole('button', { name: new RegExp(`^${prefix}\\b`) }).count()
// rowWith is the table row holding a cell named text.
const rowWith = (page, text) => page.getByRole('row').filter({ has: page.getByRole('cell', { name: text, exact: true }) })
const menuItem = (page, name) => page.getByRole('menuitem', { name, exact: true }).count()

export async function rolesScenario({ panel, page, step, assert, out, cleanups }) {
  const users = { viewer: 'e2e-viewer', operator: 'e2e-operator', admin: 'e2e-admin' }
  const hookURL = 'http://127.0.0.1:9/e2e-roles-hook'
  const password = 'role-password-1'

  await step('the owner adds a viewer, an operator and an admin, and a webhook; the Admins page lists them', async () => {
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
    // A webhook, so the Notifications page has a row whose buttons a role
    // may or may not see.
    const hook = await pageApi(page, 'POST', 'notify/webhooks/add', { url: hookURL })
    assert(hook.success, `add webhook: ${JSON.stringify(hook)}`)
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

        // Notifications: a viewer reads every tab but has no Save, Test,
        // Add or Delete; an operator has no notify.read, so no menu entry,
        // and the page opened by its address shows no write button either.
        assert(await menuItem(p, 'Notifications') === (role === 'viewer' ? 1 : 0), `${role}: Notifications menu entry`)
        for (const [tab, ready] of [['telegram', 'Bot token'], ['email', 'SMTP server'], ['webhooks', hookURL], ['routing', 'Event']]) {
          await p.goto(panel.url + 'panel/notifications/' + tab)
          await p.getByRole('tab', { name: 'Telegram bot', exact: true }).waitFor()
          if (role === 'viewer') {
            const shown = tab === 'webhooks' ? p.getByText(ready, { exact: true }) : tab === 'routing' ? p.getByRole('columnheader', { name: ready, exact: true }) : p.getByLabel(ready, { exact: true })
            await shown.first().waitFor()
          }
          for (const b of ['Save', 'Send test message', 'Send test email', 'Add webhook', 'Save routing']) {
            assert(await buttons(p, b) === 0, `${role}: a ${b} button on the ${tab} tab`)
          }
          for (const b of ['Test', 'Edit', 'Delete']) {
            assert(await named(p, b) === 0, `${role}: a ${b} button on the ${tab} tab`)
          }
          if (tab === 'webhooks') await p.screenshot({ path: join(out, `roles-${role}-notifications.png`), fullPage: true })
        }

        // The audit log: neither has it; its address shows the refusal.
        assert(await menuItem(p, 'Audit log') === 0, `${role} has the Audit log menu entry`)
        await p.goto(panel.url + 'panel/audit')
        const refusal = p.getByRole('alert').filter({ hasText: 'permission audit.read' })
        await refusal.waitFor()
        await p.screenshot({ path: join(out, `roles-${role}-audit.png`), fullPage: true })

        // The server refuses what the UI hides, naming the permission.
        const r = await pageApi(p, 'POST', 'server/restartXrayService')
        assert(!r.success && /permission xray\.restart/.test(r.msg), `${role} restart: ${JSON.stringify(r)}`)
        const n = await pageApi(p, 'POST', 'notify/webhooks/add', { url: hookURL + '2' })
        assert(!n.success && /permission notify\.write/.test(n.msg), `${role} webhook add: ${JSON.stringify(n)}`)
        const a = await pageApi(p, 'GET', 'audit')
        assert(!a.success && /permission audit\.read/.test(a.msg), `${role} audit: ${JSON.stringify(a)}`)
      } finally {
        await ctx.close()
      }
    })
  }

  await step('an admin has the Audit log and the notification tests, not Admins or settings saves', async () => {
    const ctx = await launchBrowser()
    cleanups.push(() => ctx.close())
    const p = ctx.pages()[0] ?? await ctx.newPage()
    try {
      await loginAs(p, panel.url, users.admin, password)
      assert(await menuItem(p, 'Admins') === 0, 'admin has the Admins menu entry')
      assert(await menuItem(p, 'Audit log') === 1, 'admin lacks the Audit log menu entry')
      await p.getByRole('menuitem', { name: 'Audit log', exact: true }).click()
      await p.waitForURL(/\/panel\/audit$/)
      // The owner's writes above are there: the three admins it added.
      await p.getByLabel('Action').fill('admin.add')
      await p.getByRole('button', { name: 'Filter' }).click()
      const rows = p.locator('#audit-table tbody tr.ant-table-row')
      await until('the admin.add rows', async () => {
        const texts = await rows.allTextContents()
        return texts.length === 3 && texts.every((t) => /admin\.add/.test(t))
      })
      await p.screenshot({ path: join(out, 'roles-admin-audit.png'), fullPage: true })

      // Notifications: tests and webhooks (notify.write), no Save of the
      // panel settings behind the Telegram, email and routing tabs.
      await p.goto(panel.url + 'panel/notifications/telegram')
      await p.getByLabel('Bot token', { exact: true }).waitFor()
      assert(await buttons(p, 'Send test message') === 1, 'admin: no Send test message button')
      assert(await buttons(p, 'Save') === 0, 'admin: a Save button on the Telegram tab')
      await p.goto(panel.url + 'panel/notifications/webhooks')
      await p.getByText(hookURL, { exact: true }).waitFor()
      assert(await buttons(p, 'Add webhook') === 1, 'admin: no Add webhook button')
      assert(await buttons(p, `Delete ${hookURL}`) === 1, 'admin: no Delete button on the webhook')
      // The same count the viewer's and operator's checks use finds them
      // (the full run's notifications scenario may have left more hooks).
      assert(await named(p, 'Delete') >= 1 && await named(p, 'Test') >= 1, 'named() misses the webhook row buttons')
      await p.screenshot({ path: join(out, 'roles-admin-notifications.png'), fullPage: true })
      await p.goto(panel.url + 'panel/notifications/routing')
      await p.getByRole('columnheader', { name: 'Event', exact: true }).waitFor()
      assert(await buttons(p, 'Save routing') === 0, 'admin: a Save routing button (it saves panel settings)')

      // Admins by its address: no Add admin; the server names the permission.
      await p.goto(panel.url + 'panel/admins')
      await p.getByText('Only an owner manages administrators.').waitFor()
      assert(await buttons(p, 'Add admin') === 0, 'admin: an Add admin button')
      const r = await pageApi(p, 'GET', 'admins/list')
      assert(!r.success && /permission admins\.manage/.test(r.msg), `admin admins/list: ${JSON.stringify(r)}`)
    } finally {
      await ctx.close()
    }
  })
}
