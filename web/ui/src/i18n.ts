import i18n, { type FormatterModule } from 'i18next'
import { initReactI18next } from 'react-i18next'
import en from './locales/en'
import zh from './locales/zh-CN'
import fa from './locales/fa'
import ru from './locales/ru'

export const LANG_KEY = 'xui.lang'
export const languages = [
  { value: 'en', label: 'English' }, { value: 'zh-CN', label: '简体中文' },
  { value: 'fa', label: 'فارسی' }, { value: 'ru', label: 'Русский' },
]

// intlLocale is the Intl tag a language formats numbers and dates with:
// fa-IR gives Persian digits and the Solar Hijri (Jalali) calendar.
export function intlLocale(lng: string): string {
  return ({ en: 'en-US', 'zh-CN': 'zh-CN', fa: 'fa-IR', ru: 'ru-RU' } as Record<string, string>)[lng] ?? 'en-US'
}
export function isRtl(lng: string): boolean { return lng === 'fa' }

function savedLang(): string {
  try {
    const s = localStorage.getItem(LANG_KEY)
    if (s && languages.some((l) => l.value === s)) return s
    const n = navigator.language
    return n.startsWith('zh') ? 'zh-CN' : n.startsWith('fa') ? 'fa' : n.startsWith('ru') ? 'ru' : 'en'
  } catch { return 'en' }
}

// The page's lang and dir follow the language from the first render on,
// so a reload in Persian starts right-to-left.
i18n.on('languageChanged', (lng) => {
  if (typeof document === 'undefined') return
  document.documentElement.lang = lng
  document.documentElement.dir = isRtl(lng) ? 'rtl' : 'ltr'
})

// numbers is the formatter: every number put into a message ({{n}}
// clients, {{s}} s ago) is written in the language's digits and separators.
const numbers: FormatterModule = {
  type: 'formatter', init() {}, add() {}, addCached() {},
  format: (v, _f, lng) => (typeof v === 'number' ? new Intl.NumberFormat(intlLocale(lng ?? 'en')).format(v) : v),
}

i18n.use(initReactI18next).use(numbers).init({
  resources: { en: { translation: en }, 'zh-CN': { translation: zh }, fa: { translation: fa }, ru: { translation: ru } },
  lng: savedLang(), fallbackLng: 'en', interpolation: { escapeValue: false, alwaysFormat: true },
})

export function setLanguage(lng: string) {
  localStorage.setItem(LANG_KEY, lng)
  void i18n.changeLanguage(lng)
}
export default i18n
