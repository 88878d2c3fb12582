import i18n from 'i18next'
import { initReactI18next } from 'react-i18next'
import en from './locales/en'
import zh from './locales/zh-CN'

export const LANG_KEY = 'xui.lang'
export const languages = [{ value: 'en', label: 'English' }, { value: 'zh-CN', label: '简体中文' }]

function savedLang(): string {
  try { return localStorage.getItem(LANG_KEY) || (navigator.language.startsWith('zh') ? 'zh-CN' : 'en') } catch { return 'en' }
}

i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, 'zh-CN': { translation: zh } },
  lng: savedLang(), fallbackLng: 'en', interpolation: { escapeValue: false },
})

export function setLanguage(lng: string) {
  localStorage.setItem(LANG_KEY, lng)
  void i18n.changeLanguage(lng)
  document.documentElement.lang = lng
}
export default i18n
