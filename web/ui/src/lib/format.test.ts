import { describe, it, expect } from 'vitest'
import { formatBytes, gbToBytes, bytesToGb, parseExpiry, remaining, formatDate, usagePercent, formatDuration } from './format'

describe('format', () => {
  it('formats sizes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(-5)).toBe('0 B')
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1536)).toBe('1.5 KB')
    expect(formatBytes(10 * 1024 ** 3)).toBe('10 GB')
    expect(formatBytes(1.25 * 1024 ** 4)).toBe('1.25 TB')
  })
  it('converts GB', () => {
    expect(gbToBytes(1)).toBe(1073741824)
    expect(bytesToGb(gbToBytes(2.5))).toBe(2.5)
  })
  it('reads 3x-ui expiry semantics', () => {
    expect(parseExpiry(0)).toEqual({ kind: 'never' })
    expect(parseExpiry(-7 * 86400000)).toEqual({ kind: 'afterFirstUse', days: 7 })
    expect(parseExpiry(1700000000000)).toEqual({ kind: 'date', ms: 1700000000000 })
  })
  it('says what remains', () => {
    const now = 1_000_000_000_000
    expect(remaining(now - 1, now)).toBe('expired')
    expect(remaining(now + (2 * 24 + 3) * 3600_000 + 5, now)).toBe('2d 3h')
    expect(remaining(now + 90 * 60_000, now)).toBe('1h 30m')
  })
  it('formats dates and durations', () => {
    const d = new Date(2026, 0, 5, 7, 9)
    expect(formatDate(d.getTime())).toBe('2026-01-05 07:09')
    expect(formatDuration(90061)).toBe('1d 1h 1m')
    expect(formatDuration(3660)).toBe('1h 1m')
  })
  it('bounds usage', () => {
    expect(usagePercent(5, 0)).toBe(0)
    expect(usagePercent(1, 3)).toBe(33.3)
    expect(usagePercent(10, 5)).toBe(100)
  })
})
