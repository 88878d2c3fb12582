import { basePath } from './base'

// Msg is the server's 3x-ui envelope.
export interface Msg<T> { success: boolean; msg: string; obj: T }

// ApiError carries the server's own message for the UI to show.
export class ApiError extends Error {
  status: number
  constructor(status: number, msg: string) { super(msg); this.status = status }
}

export function csrfToken(): string {
  const m = document.cookie.match(/(?:^|;\s*)xui_csrf=([^;]*)/)
  return m ? decodeURIComponent(m[1]) : ''
}

let onUnauthorized: () => void = () => { window.location.assign(basePath() + 'login') }
export function setUnauthorizedHandler(fn: () => void) { onUnauthorized = fn }

// request calls a panel route (relative to the base path), unwraps the
// envelope, and throws ApiError with the server's msg on any refusal.
export async function request<T>(method: string, path: string, body?: unknown, raw = false): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  let payload: BodyInit | undefined
  if (body instanceof FormData) payload = body
  else if (body !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body) }
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken()
  const res = await fetch(basePath() + path, { method, headers, body: payload, credentials: 'same-origin' })
  if (raw) { if (!res.ok) throw new ApiError(res.status, res.statusText); return res as unknown as T }
  let msg: Msg<T>
  try { msg = await res.json() } catch { throw new ApiError(res.status, `HTTP ${res.status}`) }
  if (res.status === 401 && path !== 'login') { onUnauthorized(); throw new ApiError(401, msg.msg) }
  if (!res.ok || !msg.success) throw new ApiError(res.status, msg.msg || `HTTP ${res.status}`)
  return msg.obj
}

export const api = {
  get: <T>(p: string) => request<T>('GET', 'panel/api/' + p),
  post: <T>(p: string, body?: unknown) => request<T>('POST', 'panel/api/' + p, body ?? {}),
}
