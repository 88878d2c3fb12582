// The pages' lazy-loaded modules, and their prefetch.
export const pages = {
  overview: () => import('./Overview'),
  inbounds: () => import('./Inbounds'),
  clients: () => import('./Clients'),
  nodes: () => import('./Nodes'),
  settings: () => import('./Settings'),
  logs: () => import('./Logs'),
  notifications: () => import('./notifications'),
  audit: () => import('./Audit'),
  admins: () => import('./Admins'),
}

// prefetchPages loads the light pages' scripts once the browser is idle (on
// the login page, while the user types), so opening one does not wait for
// the network. Inbounds and Settings carry the CodeMirror editor (~140 kB
// gzip) and still load when opened.
export function prefetchPages() {
  const run = () => { for (const load of [pages.overview, pages.clients, pages.nodes, pages.logs, pages.audit]) void load().catch(() => {}) }
  if ('requestIdleCallback' in window) requestIdleCallback(run, { timeout: 2000 })
  else setTimeout(run, 200)
}
