// The node's own panel settings: setting/update stores them in x-ui.json
// under 3x-ui's names, and they apply when the panel restarts.
export const netKeys = ['webListen', 'webPort', 'webBasePath', 'webDomain', 'webCertFile', 'webKeyFile', 'sessionMaxAge']
export const isNetKey = (k: string) => netKeys.includes(k)

// webDomain: host names (comma separated) the panel answers to besides IP
// addresses and localhost (the server's guard against DNS rebinding).
export type PanelNet = { webListen: string; webPort: number; webBasePath: string; webDomain?: string; webCertFile: string; webKeyFile: string; sessionMaxAge: number }

// panelURL is where the panel answers after a restart with v, as seen from
// a browser now at loc (an any-address listen keeps the current host).
export function panelURL(v: PanelNet, loc: { hostname: string }): string {
  const any = !v.webListen || v.webListen === '0.0.0.0' || v.webListen === '::'
  let host = any ? loc.hostname : v.webListen
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`
  const scheme = v.webCertFile && v.webKeyFile ? 'https:' : 'http:'
  let path = v.webBasePath || '/'
  if (!path.startsWith('/')) path = '/' + path
  if (!path.endsWith('/')) path += '/'
  return `${scheme}//${host}:${v.webPort}${path}`
}
