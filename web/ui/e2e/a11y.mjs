// Accessibility and mobile scenario (issue 26): axe-core (from npm, injected
// into the page; no browser download) on the main pages in both themes,
// failing on serious or critical violations; then a 390x844 phone.
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { until, freePort } from './harness.mjs'
import { pageApi } from './run.mjs'

const require = createRequire(import.meta.url)
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')

// axeAudit runs axe-core in the page; it returns the serious and critical violations.
export async function axeAudit(page) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(AXE) // CDP evaluation: the panel's CSP refuses inline scripts
  const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }))
  return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}, ${v.nodes.length}x): ${v.nodes.slice(0, 4).map((n) => n.target.join(' ') + (n.any[0]?.message ? ' — ' + n.any[0].message : '')).join(' | ')}`)
}

// settled waits for a dialog's opening animation (a scale from its
// button) to end and returns its box.
async function settled(dlg) {
  let box = null
  await until('the dialog at its full size', async () => {
    const b = await dlg.boundingBox()
    const same = box && b && Math.abs(b.width - box.width) < 0.5 && Math.abs(b.height - box.height) < 0.5
    box = b
    return same
  })
  return box
}

// PAGES are audited as listed; open, when given, opens a dialog first.
const PAGES = [
  ['overview', ''], ['inbounds', 'inbounds'], ['inbound-form', 'inbounds', (p) => p.getByRole('button', { name: 'Add inbound' }).click()],
  ['clients', 'clients'], ['client-form', 'clients', (p) => p.getByRole('button', { name: 'Add client' }).click()],
  ['nodes', 'nodes'], ['settings', 'settings/subscription'], ['xray-template', 'settings/xray'], ['logs', 'logs'],
]

export async function a11yScenario({ panel, page, step, assert, shot }) {
  for (const theme of ['light', 'dark']) {
    await step(`accessibility: no serious or critical axe violations on the main pages (${theme} theme)`, async () => {
      await page.evaluate((th) => { localStorage.setItem('xui.theme', th); localStorage.setItem('xui.lang', 'en') }, theme)
      const found = []
      for (const [name, path, open] of PAGES) {
        await page.goto(panel.url + 'panel/' + path)
        await page.getByRole('menuitem', { name: 'Overview' }).waitFor()
        await page.waitForLoadState('networkidle')
        if (open) { await open(page); await settled(page.getByRole('dialog')) }
        const v = await axeAudit(page)
        await shot(`a11y-${theme}-${name}`)
        if (v.length) found.push(`${name}:\n  ${v.join('\n  ')}`)
      }
      assert(found.length === 0, `axe, ${theme} theme:\n${found.join('\n')}`)
    })
  }
  await page.evaluate(() => localStorage.setItem('xui.theme', 'light'))

  await step('accessibility: the inbound form\'s inputs have their labels; Generate is a keyboard button', async () => {
    await page.goto(panel.url + 'panel/inbounds')
    await page.getByRole('button', { name: 'Add inbound' }).click()
    const dlg = page.getByRole('dialog')
    for (const label of ['Remark', 'Protocol', 'Listen IP', 'Port', 'Transport', 'Security']) {
      assert(await dlg.getByLabel(label, { exact: true }).count() === 1, `no input labelled ${label}`)
    }
    await dlg.getByRole('button', { name: 'Cancel' }).click()
    await page.goto(panel.url + 'panel/clients')
    await page.getByRole('button', { name: 'Add client' }).click()
    const id = page.getByRole('dialog').getByLabel('ID', { exact: true })
    await id.fill('')
    await id.focus()
    await page.keyboard.press('Tab')
    const focused = await page.evaluate(() => ({ tag: document.activeElement.tagName, text: document.activeElement.textContent }))
    assert(focused.tag === 'BUTTON' && focused.text === 'Generate', `Tab from the ID reaches ${focused.tag} "${focused.text}"`)
    await page.keyboard.press('Enter')
    await until('a generated UUID', async () => /^[0-9a-f]{8}-[0-9a-f]{4}-/.test(await id.inputValue()))
    await shot('client-generate')
    await page.keyboard.press('Escape')
  })

  await step('mobile 390x844: menu button apart from Add client, client cards with visible actions, ID field inside the dialog', async () => {
    if (!(await pageApi(page, 'GET', 'clients/get/fh-a@x')).success) {
      const add = await pageApi(page, 'POST', 'inbounds/add', {
        remark: 'fh-mobile', enable: true, listen: '127.0.0.1', port: await freePort(), protocol: 'vless',
        settings: JSON.stringify({ clients: [{ id: '7c4b3a2e-1f0d-4c8b-9a6e-5d4c3b2a1f09', email: 'fh-a@x', enable: true }], decryption: 'none' }),
        streamSettings: '{"network":"tcp","security":"none"}', sniffing: '{"enabled":false}',
      })
      assert(add.success, JSON.stringify(add))
    }
    await page.setViewportSize({ width: 390, height: 844 })
    try {
      await page.goto(panel.url + 'panel/clients')
      const add = page.getByRole('button', { name: 'Add client' })
      const menuBtn = page.getByRole('button', { name: 'Menu' })
      await add.waitFor()
      const a = await add.boundingBox(), m = await menuBtn.boundingBox()
      const overlap = a.x < m.x + m.width && m.x < a.x + a.width && a.y < m.y + m.height && m.y < a.y + a.height
      assert(!overlap, `menu button ${JSON.stringify(m)} covers Add client ${JSON.stringify(a)}`)
      // The button opens and closes the menu.
      await menuBtn.click()
      await page.getByRole('menuitem', { name: 'Inbounds' }).waitFor()
      await shot('mobile-menu')
      await menuBtn.click()
      await page.getByRole('menuitem', { name: 'Inbounds' }).waitFor({ state: 'hidden' })
      const row = page.getByRole('row').filter({ hasText: 'fh-a@x' })
      await row.first().waitFor()
      const scroll = await page.evaluate(() => document.documentElement.scrollWidth)
      assert(scroll <= 390, `the page scrolls sideways: ${scroll} px wide`)
      for (const name of ['Edit', 'Share', 'Delete']) {
        const b = await row.first().getByRole('button', { name, exact: true }).boundingBox()
        assert(b && b.x >= 0 && b.x + b.width <= 390, `${name} is off screen: ${JSON.stringify(b)}`)
      }
      await shot('mobile-clients')
      await add.click()
      const dlg = page.getByRole('dialog')
      const box = await settled(page.getByRole('dialog'))
      for (const label of ['ID', 'Email']) {
        const f = await dlg.getByLabel(label, { exact: true }).boundingBox()
        assert(f.x >= box.x && f.x + f.width <= box.x + box.width, `${label} spills out of the dialog: ${JSON.stringify(f)} in ${JSON.stringify(box)}`)
      }
      const gen = await dlg.getByRole('button', { name: 'Generate' }).boundingBox()
      assert(gen.x + gen.width <= box.x + box.width, `Generate outside the dialog: ${JSON.stringify(gen)}`)
      await shot('mobile-client-form')
      await page.keyboard.press('Escape')
    } finally { await page.setViewportSize({ width: 1360, height: 900 }) }
  })
}
