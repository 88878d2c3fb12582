// Human sizes in binary units, as 3x-ui shows them.
export function formatBytes(n: number, digits = 2): string {
  if (!Number.isFinite(n) || n <= 0) return '0 B'
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++ }
  return `${i === 0 ? n : n.toFixed(digits).replace(/\.?0+$/, '')} ${units[i]}`
}

export const GB = 1024 * 1024 * 1024

export function gbToBytes(gb: number): number { return Math.round(gb * GB) }
export function bytesToGb(b: number): number { return Math.round((b / GB) * 100) / 100 }

// Expiry: 0 never, negative a duration starting at first use, else a date.
export type Expiry = { kind: 'never' } | { kind: 'afterFirstUse'; days: number } | { kind: 'date'; ms: number }

export function parseExpiry(ms: number): Expiry {
  if (!ms) return { kind: 'never' }
  if (ms < 0) return { kind: 'afterFirstUse', days: Math.round(-ms / 86400000) }
  return { kind: 'date', ms }
}

export function pad(n: number): string { return n < 10 ? '0' + n : String(n) }

export function formatDate(ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

// remaining says how long until ms from now: "3d 4h", "5h 10m", or "expired".
export function remaining(ms: number, now = Date.now()): string {
  const left = ms - now
  if (left <= 0) return 'expired'
  const m = Math.floor(left / 60000), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60)
  if (d > 0) return `${d}d ${h}h`
  return `${h}h ${m % 60}m`
}

export function formatDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600), m = Math.floor((seconds % 3600) / 60)
  return d > 0 ? `${d}d ${h}h ${m}m` : `${h}h ${m}m`
}

export function usagePercent(used: number, total: number): number {
  if (total <= 0) return 0
  return Math.min(100, Math.round((used / total) * 1000) / 10)
}
