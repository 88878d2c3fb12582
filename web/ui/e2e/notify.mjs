// Notifications page scenario: the Telegram form against a loopback Bot
// API server, the email form's field-named errors, a webhook to a
// loopback receiver tested and checked for its signature, the "which
// events go where" matrix, the delivery log, and a client's Telegram ID.
// The page is driven by visible labels and roles.
import http from 'node:http'
import { createHmac } from 'node:crypto'
import { until, freePort } from './harness.mjs'
import { pageApi } from './run.mjs'

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ'

// listen starts handler on a free loopback port and returns its base URL.
async function listen(handler, cleanups) {
  const port = await freePort()
  const srv = http.createServer(handler)
  await new Promise((r) => srv.listen(port, '127.0.0.1', r))
  cleanups.push(() => new Promise((r) => { srv.closeAllConnections(); srv.close(r) }))
  return `http://127.0.0.1:${port}`
}

const readBody = (req) => new Promise((r) => { const c = []; req.on('data', (d) => c.push(d)); req.on('end', () => r(Buffer.concat(c))) })

// botAPI is a minimal Bot API server (the documented JSON methods the
// panel calls): getMe, sendMessage recorded, getUpdates answered empty
// after a short wait; any other token is 401 as on Telegram.
async function botAPI(cleanups) {
  const calls = []
  const url = await listen(async (req, res) => {
    const body = (await readBody(req)).toString()
    const m = /^\/bot([^/]+)\/(\w+)$/.exec(req.url)
    const send = (code, obj) => { res.writeHead(code, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(obj)) }
    if (!m || m[1] !== TOKEN) return send(401, { ok: false, error_code: 401, description: 'Unauthorized' })
    const p = body ? JSON.parse(body) : {}
    calls.push({ method: m[2], ...p })
    if (m[2] === 'getMe') return send(200, { ok: true, result: { id: 123456789, is_bot: true, first_name: 'e2e', username: 'e2e_bot' } })
    if (m[2] === 'getUpdates') return setTimeout(() => send(200, { ok: true, result: [] }), 300)
    if (m[2] === 'sendMessage') return send(200, { ok: true, result: { message_id: calls.length, chat: { id: p.chat_id }, text: p.text } })
    return send(200, { ok: true, result: true })
  }, cleanups)
  return { url, calls }
}

// receiver records each webhook post with its headers and raw body.
async function receiver(cleanups) {
  const posts = []
  const url = await listen(async (req, res) => {
    const body = await readBody(req)
    if (req.url === '/down') { res.writeHead(503); res.end('receiver down'); return }
    posts.push({ headers: req.headers, body })
    res.writeHead(200); res.end('ok')
  }, cleanups)
  return { url: url + '/hook', down: url + '/down', posts }
}

export async function notifyScenario({ panel, page, step, assert, shot, cleanups }) {
  const bot = await botAPI(cleanups)
  const hook = await receiver(cleanups)
  const settings = async () => (await pageApi(page, 'GET', 'setting/all')).obj
  const form = (name) => page.locator(`form#${name}`)
  // fieldError is the labelled field's error: set when the field is
  // aria-invalid, read from the help its aria-describedby names.
  const fieldError = async (label) => {
    const input = page.getByLabel(label, { exact: true })
    if (await input.getAttribute('aria-invalid') !== 'true') return ''
    const help = (await input.getAttribute('aria-describedby') || '').split(' ').find((id) => id.endsWith('_help'))
    return help ? page.locator(`[id="${help}"]`).textContent() : ''
  }

  await step('the Notifications menu entry opens the page on its Telegram tab', async () => {
    await page.goto(panel.url + 'panel/')
    await page.getByRole('menuitem', { name: 'Notifications' }).click()
    await page.waitForURL(/\/panel\/notifications$/)
    await page.getByRole('tab', { name: 'Telegram bot', selected: true }).waitFor()
    await page.getByLabel('Bot token', { exact: true }).waitFor()
  })

  await step('telegram: a malformed token is refused next to the field and nothing is stored', async () => {
    await page.getByLabel('Bot token', { exact: true }).fill('12345:short')
    await form('tg').getByRole('button', { name: 'Save' }).click()
    await until('token error', async () => /tgBotToken/.test(await fieldError('Bot token')))
    assert((await settings()).tgBotToken === '', 'a refused token was stored')
    await shot('notify-telegram-bad-token')
  })

  await step('telegram: settings saved against a loopback Bot API; the bot runs and the test message arrives', async () => {
    await page.getByLabel('Bot token', { exact: true }).fill(TOKEN)
    await page.getByLabel('Admin chat IDs', { exact: true }).fill('111, 222')
    await page.getByLabel('Bot API server', { exact: true }).fill(bot.url)
    await page.getByLabel('Run the bot', { exact: true }).click()
    // Failed logins need the kind ticked and "Alert on failed panel logins": the form keeps them in step.
    const loginKind = form('tg').getByRole('checkbox', { name: /login\.failed/ })
    assert(await loginKind.isChecked(), 'login.failed not ticked by default')
    await page.getByLabel('Alert on failed panel logins', { exact: true }).click()
    assert(!(await loginKind.isChecked()), 'switching failed-login alerts off left the kind ticked')
    await loginKind.check()
    assert(await page.getByLabel('Alert on failed panel logins', { exact: true }).isChecked(), 'ticking login.failed left its switch off')
    await form('tg').getByRole('checkbox', { name: /xray\.recovered/ }).uncheck()
    await form('tg').getByRole('button', { name: 'Save' }).click()
    await form('tg').getByRole('status').filter({ hasText: 'Saved' }).waitFor()
    const s = await settings()
    // Every alert kind stays ticked (the default lists them all) but the one unticked.
    const tgKinds = s.tgEnabledEvents.split(',')
    const kept = ['client.depleted', 'client.expired', 'client.quota', 'login.failed', 'xray.crashed', 'node.stale', 'node.back', 'host.cpu_high']
    assert(kept.every((k) => tgKinds.includes(k)) && !tgKinds.includes('xray.recovered') && s.tgBotLoginNotify === true, `tg events: ${s.tgEnabledEvents} ${s.tgBotLoginNotify}`)
    assert(s.tgBotEnable === true && s.tgBotChatId === '111,222' && s.tgBotAPIServer === bot.url && s.tgBotToken === '123456789:' + '*'.repeat(35), `stored: ${JSON.stringify(s)}`)
    await until('bot polling the loopback server', () => bot.calls.some((c) => c.method === 'getUpdates'))
    await page.reload()
    await page.getByRole('button', { name: 'Send test message' }).click()
    await form('tg').getByRole('status').filter({ hasText: 'Test message sent by @e2e_bot to 2 chat(s)' }).waitFor()
    for (const chat of [111, 222]) assert(bot.calls.some((c) => c.method === 'sendMessage' && c.chat_id === chat && /Test message/.test(c.text)), `no test message to ${chat}: ${JSON.stringify(bot.calls)}`)
    await shot('notify-telegram')
  })

  await step('email: missing recipients and an unreachable server are named next to their fields', async () => {
    await page.getByRole('tab', { name: 'Email' }).click()
    await page.getByLabel('Send alerts by email', { exact: true }).click()
    await page.getByLabel('SMTP server', { exact: true }).fill('no-such-host.invalid')
    await page.getByLabel('Sender address', { exact: true }).fill('panel@example.org')
    await form('smtp').getByRole('checkbox', { name: /xray\.crashed/ }).uncheck()
    await form('smtp').getByRole('button', { name: 'Save' }).click()
    await until('recipients error', async () => /smtpTo/.test(await fieldError('Recipients')))
    assert((await settings()).smtpEnable === false, 'a refused email save was stored')
    await page.getByLabel('Recipients', { exact: true }).fill('admin@example.net')
    await form('smtp').getByRole('button', { name: 'Save' }).click()
    await form('smtp').getByRole('status').filter({ hasText: 'Saved' }).waitFor()
    const s = await settings()
    assert(s.smtpEnable === true && s.smtpHost === 'no-such-host.invalid' && s.smtpTo === 'admin@example.net', `stored: ${JSON.stringify(s)}`)
    // The default kinds (settings.DefaultEmailEvents) but the one unticked.
    const mailed = s.smtpEnabledEvents.split(',')
    assert(['client.depleted', 'client.expired', 'login.failed', 'node.stale', 'node.back', 'traffic.flush_failing', 'db.unreachable'].every((k) => mailed.includes(k)) &&
      !mailed.includes('xray.crashed'), `smtpEnabledEvents ${s.smtpEnabledEvents}`)
    await page.getByRole('button', { name: 'Send test email' }).click()
    await until('server error', async () => /smtpHost/.test(await fieldError('SMTP server')), 30000)
    await shot('notify-email-error')
  })

  let secret = ''
  await step('webhooks: add one with its generated secret, shown once', async () => {
    await page.getByRole('tab', { name: 'Webhooks' }).click()
    await page.getByRole('button', { name: 'Add webhook' }).click()
    const dialog = page.getByRole('dialog', { name: 'Add webhook' })
    await dialog.getByLabel('URL', { exact: true }).fill(hook.url)
    secret = await dialog.getByLabel('Secret', { exact: true }).inputValue()
    assert(/^[0-9a-f]{64}$/.test(secret), `generated secret ${secret}`)
    await dialog.getByRole('button', { name: 'Save' }).click()
    await page.getByText('Copy this secret now: it is not shown again.').waitFor()
    await page.getByRole('cell', { name: hook.url, exact: true }).waitFor()
    const list = await pageApi(page, 'GET', 'notify/webhooks')
    assert(list.obj.length === 1 && list.obj[0].url === hook.url && list.obj[0].events[0] === '*' && !list.obj[0].secret, `webhooks: ${JSON.stringify(list.obj)}`)
  })

  await step('webhooks: Test posts a signed test event to the receiver and shows the result', async () => {
    await page.getByRole('button', { name: `Test ${hook.url}` }).click()
    await page.getByText(`Test event delivered to ${hook.url} (HTTP 200).`).waitFor()
    await until('test post received', () => hook.posts.length === 1)
    const { headers, body } = hook.posts[0]
    const want = 'sha256=' + createHmac('sha256', secret).update(headers['x-xui-timestamp'] + '.').update(body).digest('hex')
    assert(headers['x-xui-signature'] === want, `signature ${headers['x-xui-signature']}, want ${want}`)
    assert(headers['x-xui-event'] === 'test' && JSON.parse(body).kind === 'test', `post: ${JSON.stringify(headers)} ${body}`)
    await shot('notify-webhooks')
  })

  await step('which events go where: each target\'s choices shown and saved', async () => {
    await page.getByRole('tab', { name: 'Which events go where' }).click()
    const box = (kind, target) => page.getByRole('checkbox', { name: `${kind} → ${target}` })
    assert(!(await box('xray.recovered', 'Telegram').isChecked()) && await box('xray.crashed', 'Telegram').isChecked(), 'the Telegram column ignores tgEnabledEvents')
    assert(!(await box('xray.crashed', 'Email').isChecked()), 'the email column ignores smtpEnabledEvents')
    assert(await box('login.failed', hook.url).isChecked(), 'a webhook on "*" shows a kind unticked')
    await box('login.failed', 'Telegram').uncheck()
    await box('node.back', 'Telegram').uncheck()
    await box('login.failed', hook.url).uncheck()
    await box('xray.crashed', 'Email').check()
    await page.getByRole('button', { name: 'Save routing' }).click()
    await until('routing stored', async () => {
      const s = await settings()
      const hooks = (await pageApi(page, 'GET', 'notify/webhooks')).obj
      const tg = s.tgEnabledEvents.split(',')
      return s.tgBotLoginNotify === false && !tg.includes('login.failed') && !tg.includes('node.back') && !tg.includes('xray.recovered') &&
        ['client.depleted', 'client.expired', 'xray.crashed', 'node.stale'].every((k) => tg.includes(k)) &&
        s.smtpEnabledEvents.includes('xray.crashed') && !hooks[0].events.includes('login.failed') && !hooks[0].events.includes('*') && hooks[0].events.includes('node.stale')
    })
    await shot('notify-routing')
    await page.getByRole('tab', { name: 'Telegram bot' }).click()
    assert(!(await page.getByLabel('Alert on failed panel logins', { exact: true }).isChecked()), 'the Telegram form still shows failed-login alerts on')
  })

  await step('the delivery log lists the test delivery', async () => {
    await page.getByRole('tab', { name: 'Delivery log' }).click()
    const row = page.getByRole('table', { name: 'Deliveries' }).getByRole('row').filter({ hasText: hook.url })
    await row.filter({ hasText: 'test' }).filter({ hasText: 'delivered' }).first().waitFor()
    await page.getByRole('table', { name: 'Recent events' }).getByRole('row').filter({ hasText: 'webhookId' }).first().waitFor()
    await shot('notify-log')
  })

  await step('webhooks: a refused test shows the receiver\'s answer; delete asks with the URL', async () => {
    await page.getByRole('tab', { name: 'Webhooks' }).click()
    await page.getByRole('button', { name: 'Add webhook' }).click()
    const dialog = page.getByRole('dialog', { name: 'Add webhook' })
    // A URL the server refuses: its words under the URL field, nothing stored.
    await dialog.getByLabel('URL', { exact: true }).fill('ftp://127.0.0.1/x')
    await dialog.getByRole('button', { name: 'Save' }).click()
    await until('url error', async () => /^url: must start with http/.test(await fieldError('URL')))
    assert((await pageApi(page, 'GET', 'notify/webhooks')).obj.length === 1, 'a refused webhook was stored')
    await dialog.getByLabel('URL', { exact: true }).fill(hook.down)
    await dialog.getByRole('button', { name: 'Save' }).click()
    await page.getByRole('cell', { name: hook.down, exact: true }).waitFor()
    await page.getByRole('button', { name: `Test ${hook.down}` }).click()
    await page.getByText(`Test event to ${hook.down} not delivered:`).waitFor()
    assert(/503/.test(await page.getByText(`Test event to ${hook.down} not delivered:`).textContent()), 'the refusal does not show the HTTP status')
    await shot('notify-webhook-refused')
    await page.getByRole('button', { name: `Delete ${hook.down}` }).click()
    const confirm = page.getByRole('tooltip').filter({ hasText: `Delete the webhook ${hook.down}?` })
    await confirm.getByRole('button', { name: 'Delete' }).click()
    await until('row gone', async () => (await page.getByRole('cell', { name: hook.down, exact: true }).count()) === 0)
    const left = (await pageApi(page, 'GET', 'notify/webhooks')).obj
    assert(left.length === 1 && left[0].url === hook.url, `webhooks left: ${JSON.stringify(left)}`)
  })

  await step('a client\'s Telegram ID is checked, saved and shown again', async () => {
    const port = await freePort()
    const add = await pageApi(page, 'POST', 'inbounds/add', {
      remark: 'e2e-tg', enable: true, port, protocol: 'vless',
      settings: JSON.stringify({ clients: [{ id: '6f1c2e8a-3b4d-4c5e-8f70-1a2b3c4d5e6f', email: 'tg-bob', enable: true }], decryption: 'none' }),
      streamSettings: JSON.stringify({ network: 'tcp', security: 'none' }), sniffing: '{}',
    })
    assert(add.success, add.msg)
    await page.getByRole('menuitem', { name: 'Clients' }).click()
    // The main run has a hundred more clients: find this one by search.
    await page.getByPlaceholder('Search').fill('tg-bob')
    const row = page.getByRole('row').filter({ hasText: 'tg-bob' })
    await row.getByRole('button', { name: 'Edit' }).click()
    const dialog = page.getByRole('dialog', { name: 'Edit client' })
    await dialog.getByLabel('Telegram ID').fill('@bob')
    await dialog.getByRole('button', { name: 'Save' }).click()
    await dialog.getByText('An integer Telegram user id, or empty').waitFor()
    await dialog.getByLabel('Telegram ID').fill('123456789')
    await dialog.getByRole('button', { name: 'Save' }).click()
    await until('tgId stored', async () => (await pageApi(page, 'GET', 'clients/get/tg-bob')).obj?.client?.tgId === 123456789)
    await row.getByRole('button', { name: 'Edit' }).click()
    assert(await page.getByRole('dialog', { name: 'Edit client' }).getByLabel('Telegram ID').inputValue() === '123456789', 'tgId not shown again')
    await shot('client-tgid')
    await page.keyboard.press('Escape')
  })

  await step('the page in Chinese', async () => {
    await page.evaluate(() => localStorage.setItem('xui.lang', 'zh-CN'))
    await page.goto(panel.url + 'panel/notifications/telegram')
    await page.getByRole('tab', { name: '事件发往何处' }).waitFor()
    await page.getByLabel('机器人令牌', { exact: true }).waitFor()
    await shot('notify-telegram-zh')
    await page.evaluate(() => localStorage.setItem('xui.lang', 'en'))
  })
}
