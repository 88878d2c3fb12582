// Words of the inbound and client forms' keys, checks and errors (ru).
import type formEn from './form.en'

const formRu: typeof formEn = {
  ssServerKey: 'Ключ сервера (base64, {{n}} байт)',
  ssClientKey: 'Ключ (base64, {{n}} байт)',
  newKey: 'Новый ключ',
  ssKey16: 'Должен быть base64 ровно 16 байт (24 символа, в конце ==)',
  ssKey32: 'Должен быть base64 ровно 32 байт (44 символа, в конце =)',
  quota: 'Должно быть 0 (без ограничения) или больше',
  quotaMax: 'Слишком большое значение',
  count: 'Должно быть целое число, 0 или больше',
  details: 'Подробности',
  hideDetails: 'Скрыть подробности',
}
export default formRu
