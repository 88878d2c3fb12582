import { describe, it, expect } from 'vitest'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import en from './locales/en'
import zh from './locales/zh-CN'

function keys(o: Record<string, any>, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? keys(v, prefix + k + '.') : [prefix + k]))
}
function lookup(o: Record<string, any>, key: string): unknown { return key.split('.').reduce<any>((a, k) => a?.[k], o) }
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => { const p = join(dir, f); return statSync(p).isDirectory() ? sources(p) : /\.tsx?$/.test(f) && !f.endsWith('.test.ts') ? [p] : [] })
}

describe('translations', () => {
  it('en and zh-CN have the same keys, none empty', () => {
    const a = keys(en).sort(), b = keys(zh).sort()
    expect(b.filter((k) => !a.includes(k))).toEqual([])
    expect(a.filter((k) => !b.includes(k))).toEqual([])
    for (const k of a) { expect(lookup(en, k), k).not.toBe(''); expect(lookup(zh, k), k).not.toBe('') }
  })
  it('every t("...") key used in the source exists in both', () => {
    const used = new Set<string>()
    for (const f of sources(join(__dirname))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\bt\(\s*['"`]([a-zA-Z]+\.[a-zA-Z.]+)['"`]/g)) used.add(m[1])
    }
    expect(used.size).toBeGreaterThan(50)
    const missing = [...used].filter((k) => typeof lookup(en, k) !== 'string' || typeof lookup(zh, k) !== 'string')
    expect(missing).toEqual([])
  })
})
