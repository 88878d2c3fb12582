import type formEn from './form.en'

// 入站与客户端表单的字段、校验和错误文字 (zh-CN)。
const formZh: typeof formEn = {
  ssServerKey: '服务器密钥（base64，{{n}} 字节）',
  ssClientKey: '密钥（base64，{{n}} 字节）',
  newKey: '生成新密钥',
  ssKey16: '必须是恰好 16 字节的 base64（24 个字符，以 == 结尾）',
  ssKey32: '必须是恰好 32 字节的 base64（44 个字符，以 = 结尾）',
  quota: '必须为 0（不限）或更大',
  quotaMax: '数值过大',
  count: '必须是 0 或更大的整数',
  details: '详情',
  hideDetails: '隐藏详情',
}
export default formZh
