import { describe, it, expect } from 'vitest'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import en from './locales/en'
import zh from './locales/zh-CN'
import fa from './locales/fa'
import ru from './locales/ru'
import { flatten, placeholders } from './locales/keys'
import i18n, { languages } from './i18n'
import { uiLocale } from './antdLocale'
import dayjs from 'dayjs'
import { formatBytes, formatDate, formatDuration, formatPercent, remaining } from './lib/format'

function lookup(o: Record<string, any>, key: string): unknown { return key.split('.').reduce<any>((a, k) => a?.[k], o) }
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => { const p = join(dir, f); return statSync(p).isDirectory() ? sources(p) : /\.tsx?$/.test(f) && !f.endsWith('.test.ts') ? [p] : [] })
}

const others = { 'zh-CN': zh, fa, ru }
const enFlat = flatten(en)

describe('translations', () => {
  it('the language switcher lists exactly the languages with messages', () => {
    expect(languages.map((l) => l.value).sort()).toEqual(['en', ...Object.keys(others)].sort())
    expect(Object.keys(i18n.options.resources ?? {}).sort()).toEqual(['en', ...Object.keys(others)].sort())
  })
  // A failure lists every key to add per language; scripts/missing-keys.mjs
  // prints the same with the English text to translate.
  for (const [lng, msgs] of Object.entries(others)) {
    it(`${lng} has the keys of en, none empty, with the same placeholders`, () => {
      const m = flatten(msgs)
      expect({ lng, missing: Object.keys(enFlat).filter((k) => !(k in m)) }).toEqual({ lng, missing: [] })
      expect({ lng, extra: Object.keys(m).filter((k) => !(k in enFlat)) }).toEqual({ lng, extra: [] })
      expect({ lng, empty: Object.keys(m).filter((k) => m[k].trim() === '' || enFlat[k].trim() === '') }).toEqual({ lng, empty: [] })
      const diff = Object.keys(enFlat).filter((k) => placeholders(enFlat[k]) !== placeholders(m[k])).map((k) => `${k}: en {${placeholders(enFlat[k])}} ${lng} {${placeholders(m[k])}}`)
      expect({ lng, placeholders: diff }).toEqual({ lng, placeholders: [] })
    })
  }
  it('every t("...") key used in the source exists in every language', () => {
    const used = new Set<string>()
    for (const f of sources(join(__dirname))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\bt\(\s*['"`]([a-zA-Z]+\.[a-zA-Z.]+)['"`]/g)) used.add(m[1])
    }
    expect(used.size).toBeGreaterThan(50)
    for (const [lng, msgs] of Object.entries({ en, ...others })) {
      expect({ lng, missing: [...used].filter((k) => typeof lookup(msgs, k) !== 'string') }).toEqual({ lng, missing: [] })
    }
  })
})

describe('antd and dayjs follow the language', () => {
  it('Persian is right to left with antd fa_IR and dayjs fa; the others left to right', () => {
    const fa = uiLocale('fa')
    expect([fa.direction, fa.locale.locale, dayjs.locale()]).toEqual(['rtl', 'fa', 'fa'])
    for (const [lng, antd, day] of [['ru', 'ru', 'ru'], ['zh-CN', 'zh-cn', 'zh-cn'], ['en', 'en', 'en']]) {
      const u = uiLocale(lng)
      expect([u.direction, u.locale.locale, dayjs.locale()]).toEqual(['ltr', antd, day])
    }
  })
})

describe('per-language formatting', () => {
  const d = new Date(2026, 0, 5, 7, 9).getTime()
  it('sizes in each language\'s digits, separators and units', () => {
    expect(formatBytes(1536, 2, 'en')).toBe('1.5 KB')
    expect(formatBytes(1536, 2, 'ru')).toBe('1,5 КБ')
    expect(formatBytes(1536, 2, 'fa')).toBe('۱٫۵ کیلوبایت')
    expect(formatBytes(0, 2, 'fa')).toBe('۰ بایت')
    expect(formatBytes(10 * 1024 ** 3, 2, 'zh-CN')).toBe('10 GB')
  })
  it('dates: Jalali with Persian digits in fa, day.month.year in ru', () => {
    expect(formatDate(d, 'fa')).toMatch(/^۱۴۰۴\/۱۰\/۱۵/) // 5 January 2026 is 15 Dey 1404
    expect(formatDate(d, 'ru')).toBe('05.01.2026, 07:09')
    expect(formatDate(d, 'zh-CN')).toMatch(/^2026\/01\/05/)
  })
  it('durations, remaining time and percentages', () => {
    expect(formatDuration(90061, 'ru')).toBe('1 д 1 ч 1 мин')
    expect(formatDuration(90061, 'fa')).toBe('۱ روز ۱ ساعت ۱ دقیقه')
    expect(remaining(1000 + 3 * 3600_000 + 600_000, 1000, 'zh-CN')).toBe('3小时 10分')
    expect(formatPercent(33.3, 'fa')).toBe('۳۳٫۳٪')
    expect(formatPercent(50, 'ru')).toBe('50\u00a0%')
  })
  it('numbers in messages follow the language', () => {
    expect(i18n.t('common.selected', { n: 1234, lng: 'fa' })).toBe('۱٬۲۳۴ مورد انتخاب شد')
    expect(i18n.t('common.total', { n: 12345, lng: 'ru' })).toBe('Всего 12\u00a0345')
  })
})
