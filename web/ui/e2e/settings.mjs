// Settings and logs scenario on the main panel: panel log tab, API tokens,
// backup and restore, the Clash YAML editor, panel network settings and a
// two-factor enrolment followed by a login with the code.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { until } from './harness.mjs'
import { pageApi } from './run.mjs'
import { totp, selfCheck } from './totp.mjs'

// replaceEditor types text into the CodeMirror editor inside #id.
async function replaceEditor(page, id, text) {
  await page.locator(`#${id} .cm-content`).click()
  await page.keyboard.press('Control+a')
  await page.keyboard.press('Delete')
  await page.keyboard.insertText(text)
}

const settingsJSON = (panel) => JSON.parse(readFileSync(join(panel.db, 'x-ui.json'), 'utf8'))

export async function settingsScenario({ panel, page, step, assert, shot, out }) {
  await step('the Logs page has a Panel tab with the panel\'s own lines', async () => {
    await page.goto(panel.url + 'panel/logs')
    await page.click('#logs-tab-panel')
    await until('panel log lines', async () => /Starting x-ui/.test(await page.textContent('#panel-log-text')))
    await page.waitForTimeout(400) // the tab's ink bar settles
    await shot('logs-panel')
    const r = await pageApi(page, 'GET', 'server/panelLogs/100?level=loud')
    assert(!r.success && /level/.test(r.msg), `bad level: ${JSON.stringify(r)}`)
    const errOnly = await pageApi(page, 'GET', 'server/panelLogs/100?level=error')
    assert(errOnly.success && !errOnly.obj.some((l) => /Starting x-ui/.test(l)), `error level kept info lines: ${JSON.stringify(errOnly.obj)}`)
  })

  await step('an API token is shown once, works, and stops working when revoked', async () => {
    await page.goto(panel.url + 'panel/settings/tokens')
    await page.fill('#token-name', 'e2e-token')
    await page.click('#token-create')
    await page.waitForSelector('#token-value code')
    const token = (await page.textContent('#token-value code')).trim()
    assert(token.length >= 20, `token ${token}`)
    const call = () => fetch(panel.url + 'panel/api/inbounds/list', { headers: { Authorization: 'Bearer ' + token } })
    assert((await call()).status === 200, 'token refused')
    await shot('settings-token-created')
    await page.reload()
    await page.waitForSelector('#token-table tr:has-text("e2e-token")')
    assert(!(await page.content()).includes(token), 'token shown again after reload')
    await page.locator('#token-table tr:has-text("e2e-token") .token-revoke').click()
    await page.locator('.ant-popconfirm:visible .ant-btn-primary').click()
    await until('token row gone', async () => (await page.locator('#token-table tr:has-text("e2e-token")').count()) === 0)
    assert((await call()).status === 401, 'revoked token still works')
  })

  await step('a backup downloads, and restoring it undoes later changes', async () => {
    await pageApi(page, 'POST', 'setting/update', { subTitle: 'before-backup' })
    await page.goto(panel.url + 'panel/settings/backup')
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#backup-download')])
    const file = join(out, 'backup.db')
    await dl.saveAs(file)
    const head = readFileSync(file).subarray(0, 16).toString('latin1')
    assert(head === 'SQLite format 3\0', `backup is not a SQLite file: ${JSON.stringify(head)}`)
    const r = await pageApi(page, 'POST', 'setting/update', { subTitle: 'after-backup' })
    assert(r.success, r.msg)
    await page.locator('input[type=file]').setInputFiles(file)
    await page.waitForSelector('.ant-message-success:has-text("Backup restored")')
    const all = await pageApi(page, 'GET', 'setting/all')
    assert(all.obj.subTitle === 'before-backup', `subTitle after restore: ${all.obj.subTitle}`)
    await until('xray running after restore', async () => (await pageApi(page, 'GET', 'server/status')).obj?.xray?.state === 'running', 30000)
  })

  await step('the Clash YAML editor shows the server\'s refusal, saves good YAML, and empty URIs save', async () => {
    assert((await pageApi(page, 'POST', 'setting/update', { subURI: 'https://sub.example.test/sub/' })).success, 'set subURI')
    await page.goto(panel.url + 'panel/settings/subscription')
    await page.waitForSelector('#clash-template .cm-content')
    const before = (await pageApi(page, 'GET', 'setting/all')).obj.subClashTemplate
    await replaceEditor(page, 'clash-template', 'proxy-groups: [unclosed\nrules: {')
    await page.click('#clash-template-save')
    const err = await page.waitForSelector('#clash-template-error')
    const text = await err.textContent()
    assert(/subClashTemplate/.test(text) && /YAML/.test(text), `message: ${text}`)
    assert((await pageApi(page, 'GET', 'setting/all')).obj.subClashTemplate === before, 'bad YAML was stored')
    await shot('settings-clash-error')
    const good = 'mode: rule\nproxy-groups:\n- name: PROXY\n  type: select\n  proxies: [$proxies]\nrules:\n- MATCH,PROXY\n'
    await replaceEditor(page, 'clash-template', good)
    await page.click('#clash-template-save')
    await until('template stored', async () => (await pageApi(page, 'GET', 'setting/all')).obj.subClashTemplate.trim() === good.trim())
    assert(await page.locator('#clash-template-error').count() === 0, 'error still shown after a good save')
    await page.fill('#subURI', '')
    await page.fill('#subJsonURI', '')
    await page.locator('#sub-settings button[type=submit]').click()
    await until('empty subURI stored', async () => (await pageApi(page, 'GET', 'setting/all')).obj.subURI === '')
  })

  await step('panel network settings: bad input names the field, a good change asks for a restart', async () => {
    await page.goto(panel.url + 'panel/settings/panel')
    await page.waitForSelector('#net-port')
    const fileBefore = readFileSync(join(panel.db, 'x-ui.json'), 'utf8')
    await page.fill('#net-port', '70000')
    await page.click('#panel-network-save')
    await page.waitForSelector('#panel-network .ant-form-item-explain-error:has-text("65535")')
    await page.fill('#net-port', String(panel.port))
    await page.fill('#net-listen', 'not-an-ip')
    await page.click('#panel-network-save')
    const err = await page.waitForSelector('#panel-network-error')
    assert(/webListen/.test(await err.textContent()), `message: ${await err.textContent()}`)
    assert(readFileSync(join(panel.db, 'x-ui.json'), 'utf8') === fileBefore, 'refused change touched x-ui.json')
    await page.fill('#net-listen', '127.0.0.1')
    await page.fill('#net-session', '120')
    await page.click('#panel-network-save')
    await page.waitForSelector('#panel-restart-needed')
    assert(settingsJSON(panel).panelSecurity?.sessionMaxAge === 120, `x-ui.json: ${JSON.stringify(settingsJSON(panel))}`)
    await shot('settings-panel-network')
    await page.evaluate(() => { window.__beforeRestart = true })
    await page.click('#panel-restart')
    // The page reloads itself at the panel's (here unchanged) address.
    await until('page reloaded after restart', async () => page.url().endsWith('/panel/settings/panel') && !(await page.evaluate(() => window.__beforeRestart)), 30000)
    await until('restart logged', async () => (await pageApi(page, 'GET', 'server/panelLogs/200')).obj?.some((l) => /Panel restarted/.test(l)), 30000)
    await page.waitForSelector('#net-session')
    assert(await page.inputValue('#net-session') === '120', 'sessionMaxAge not shown after restart')
  })

  await step('two-factor enrolment in Settings, then log out and log in with the code', async () => {
    selfCheck()
    await page.goto(panel.url + 'panel/settings/account')
    await page.click('#tf-setup')
    await page.waitForSelector('#tf-secret code')
    const secret = (await page.textContent('#tf-secret code')).trim()
    assert(secret.length >= 16, `secret ${secret}`)
    await page.fill('#tf-code', totp(secret))
    await page.click('#tf-enable')
    await page.waitForSelector('#tf-status[data-on=true]')
    await shot('settings-2fa-on')
    const pub = await (await fetch(panel.url + 'getTwoFactorEnable', { method: 'POST' })).json()
    assert(pub.success && pub.obj === true, `getTwoFactorEnable: ${JSON.stringify(pub)}`)
    await page.click('header a:has-text("Log out")')
    await page.waitForSelector('#username')
    // The code field is there before the first submit.
    await page.waitForSelector('#twoFactorCode', { timeout: 10000 })
    await shot('login-2fa')
    await page.fill('#username', 'admin')
    await page.fill('#password', 'admin')
    await page.fill('#twoFactorCode', totp(secret))
    await page.click('#login-submit')
    await page.waitForURL(/\/panel\/$/)
    await page.waitForSelector('#xray-state')
  })
}
