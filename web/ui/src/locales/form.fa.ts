// Words of the inbound and client forms' keys, checks and errors (fa).
import type formEn from './form.en'

const formFa: typeof formEn = {
  ssServerKey: 'کلید سرور (base64، {{n}} بایت)',
  ssClientKey: 'کلید (base64، {{n}} بایت)',
  newKey: 'کلید جدید',
  ssKey16: 'باید base64 دقیقاً ۱۶ بایت باشد (۲۴ نویسه که با == تمام می‌شود)',
  ssKey32: 'باید base64 دقیقاً ۳۲ بایت باشد (۴۴ نویسه که با = تمام می‌شود)',
  quota: 'باید ۰ (نامحدود) یا بیشتر باشد',
  quotaMax: 'بیش از حد بزرگ است',
  count: 'باید عددی صحیح، ۰ یا بیشتر باشد',
  details: 'جزئیات',
  hideDetails: 'پنهان کردن جزئیات',
}
export default formFa
