// Audit log scenario: the page lists the writes made before it, filters
// them by action, shows a row's changes with secrets masked, and clears.
// Driven by labels and roles, as an admin would.
import { until, freePort } from './harness.mjs'
import { pageApi } from './run.mjs'

export async function auditScenario({ panel, page, step, assert, shot }) {
  const uuid = '7c4b3a2e-1f0d-4c8b-9a6e-5d4c3b2a1f0e'
  await step('writes for the audit log: an inbound with a client, a token', async () => {
    const port = await freePort()
    const add = await pageApi(page, 'POST', 'inbounds/add', {
      remark: 'audited', enable: true, listen: '127.0.0.1', port, protocol: 'vless',
      settings: JSON.stringify({ clients: [{ id: uuid, email: 'audit-e2e@x', enable: true }], decryption: 'none' }),
      streamSettings: '{"network":"tcp","security":"none"}', sniffing: '{"enabled":false}',
    })
    assert(add.success, `add inbound: ${JSON.stringify(add)}`)
    const tok = await pageApi(page, 'POST', 'setting/apiTokens/create', { name: 'audit-e2e' })
    assert(tok.success, `token: ${JSON.stringify(tok)}`)
  })

  await step('the Audit log page lists the writes, newest first', async () => {
    await page.goto(panel.url + 'panel/')
    await page.getByRole('menuitem', { name: 'Audit log' }).click()
    await page.waitForURL(/\/panel\/audit$/)
    const table = page.locator('#audit-table')
    await until('audit rows', async () => (await table.getByRole('row').count()) > 2)
    const first = await table.locator('tbody tr.ant-table-row').first().textContent()
    assert(/token\.create/.test(first) && /audit-e2e|admin/.test(first), `newest row: ${first}`)
    await shot('audit')
  })

  await step('filter by action, expand a row: the client\'s UUID is masked', async () => {
    await page.getByLabel('Action').fill('inbound.add')
    await page.getByRole('button', { name: 'Filter' }).click()
    const rows = page.locator('#audit-table tbody tr.ant-table-row')
    await until('filtered rows', async () => {
      const texts = await rows.allTextContents()
      return texts.length > 0 && texts.every((t) => /inbound\.add/.test(t))
    })
    await rows.first().getByRole('button', { name: /expand/i }).click()
    const changes = page.getByRole('table', { name: 'Changes' })
    await changes.waitFor()
    const text = await changes.textContent()
    assert(/clients/.test(text) && /\*\*\*/.test(text), `changes: ${text}`)
    assert(!text.includes(uuid), 'the client UUID is shown unmasked')
    await shot('audit-expanded')
  })

  await step('a text search that matches nothing, then Clear shows every row again', async () => {
    await page.getByLabel('Search text').fill('no-such-text-anywhere')
    await page.getByRole('button', { name: 'Filter' }).click()
    await until('empty table', async () => (await page.locator('#audit-table tbody tr.ant-table-row').count()) === 0)
    await page.getByRole('button', { name: 'Clear' }).click()
    await until('rows again', async () => (await page.locator('#audit-table tbody tr.ant-table-row').count()) > 1)
  })

  await step('the page in Chinese: menu, filters and columns translated', async () => {
    await page.locator('[data-testid=lang]').click({ force: true })
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: '简体中文' }).click()
    await page.getByRole('menuitem', { name: '审计日志' }).waitFor()
    await page.getByRole('button', { name: /^筛\s?选$/ }).waitFor() // antd spaces two-character CJK labels
    await page.getByRole('columnheader', { name: '操作者' }).waitFor()
    await shot('audit-zh')
    await page.evaluate(() => localStorage.setItem('xui.lang', 'en'))
    await page.reload()
    await page.getByRole('menuitem', { name: 'Audit log' }).waitFor()
  })
}
