// Shared by the UI benchmarks: an admin API session on a panel started by
// web/ui/e2e/harness.mjs, with the template's Xray API port moved to a
// free one (other panels on this machine may hold the default).
import { freePort } from '../web/ui/e2e/harness.mjs'

export async function api(url, cookie, csrf, method, path, body) {
  const r = await fetch(url + 'panel/api/' + path, { method, headers: { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined })
  const j = await r.json()
  if (!j.success) throw new Error(`${path}: ${j.msg}`)
  return j.obj
}

// adminSession logs in as admin/admin and returns { cookie, csrf }.
export async function adminSession(panel) {
  const login = await fetch(panel.url + 'login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'admin' }) })
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  const csrf = (await login.json()).obj.csrfToken
  const tpl = await api(panel.url, cookie, csrf, 'GET', 'setting/getXrayTemplate')
  const t = typeof tpl === 'string' ? JSON.parse(tpl) : tpl
  t.inbounds.find((i) => i.tag === 'api').port = await freePort()
  await api(panel.url, cookie, csrf, 'POST', 'setting/updateXrayTemplate', { xraySetting: JSON.stringify(t) })
  return { cookie, csrf }
}
