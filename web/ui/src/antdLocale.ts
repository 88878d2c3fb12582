// antd's own words (pagination, empty tables, date pickers, confirm
// buttons) and dayjs's month and weekday names follow the UI language.
import type { Locale } from 'antd/es/locale'
import enUS from 'antd/locale/en_US'
import zhCN from 'antd/locale/zh_CN'
import faIR from 'antd/locale/fa_IR'
import ruRU from 'antd/locale/ru_RU'
import dayjs from 'dayjs'
import 'dayjs/locale/zh-cn'
import 'dayjs/locale/fa'
import 'dayjs/locale/ru'
import { isRtl } from './i18n'
import './rtl.css'

const antd: Record<string, Locale> = { en: enUS, 'zh-CN': zhCN, fa: faIR, ru: ruRU }
const day: Record<string, string> = { en: 'en', 'zh-CN': 'zh-cn', fa: 'fa', ru: 'ru' }

// uiLocale gives the ConfigProvider's locale and direction for lng and
// switches dayjs, whose locale is global, to the same language.
export function uiLocale(lng: string): { locale: Locale; direction: 'ltr' | 'rtl' } {
  dayjs.locale(day[lng] ?? 'en')
  return { locale: antd[lng] ?? enUS, direction: isRtl(lng) ? 'rtl' : 'ltr' }
}
