// Test harness: free ports, a real `x-ui run` in a temp folder, Chromium.
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import net from 'node:net'
import { chromium } from 'playwright-core'

export const CHROMIUM = process.env.XUI_CHROMIUM || '/usr/bin/chromium'
export const CHROME_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync']

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)) })
  })
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

export async function until(what, fn, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs
  let last
  while (Date.now() < end) {
    try { const v = await fn(); if (v) return v } catch (e) { last = e }
    await sleep(200)
  }
  throw new Error(`timed out waiting for ${what}${last ? ': ' + last.message : ''}`)
}

// startPanel runs `x-ui run` with its own folder, port and base path.
export async function startPanel({ bin, xray, base = '/e2e/', extra = {}, name = 'panel' }) {
  const dir = mkdtempSync(join(tmpdir(), `xui-ui-${name}-`))
  const db = join(dir, 'db'), binDir = join(dir, 'bin')
  mkdirSync(db); mkdirSync(binDir)
  symlinkSync(xray, join(binDir, 'xray-linux-amd64'))
  const port = await freePort()
  const cfg = { panelNetwork: { listen: '127.0.0.1', port, webBasePath: base }, ...extra }
  writeFileSync(join(db, 'x-ui.json'), JSON.stringify(cfg))
  const log = join(dir, 'x-ui.log')
  const { openSync } = await import('node:fs')
  const fd = openSync(log, 'a')
  const proc = spawn(bin, ['run'], { env: { ...process.env, XUI_DB_FOLDER: db, XUI_BIN_FOLDER: binDir, XUI_LOG_FOLDER: dir }, stdio: ['ignore', fd, fd] })
  const url = `http://127.0.0.1:${port}${base}`
  let exited = false
  proc.on('exit', () => { exited = true })
  await until(`${name} health`, async () => {
    if (exited) throw new Error(`x-ui exited: ${readFileSync(log, 'utf8').slice(-2000)}`)
    const r = await fetch(url + 'health'); return r.ok
  }, 30000)
  return {
    dir, db, url, port, log, proc,
    // SIGINT is the panel's full stop (Xray too); SIGTERM keeps Xray serving, as a restart does.
    stop: async () => { if (!exited) { proc.kill('SIGINT'); await until(`${name} exit`, () => exited, 20000).catch(() => proc.kill('SIGKILL')) } },
    tail: () => readFileSync(log, 'utf8').slice(-3000),
  }
}

export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'xui-ui-chrome-'))
  return chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROME_ARGS, viewport: { width: 1360, height: 900 } })
}

export function buildPanel(root, out) {
  execFileSync('go', ['build', '-o', out, '.'], { cwd: root, stdio: 'inherit' })
  return out
}
