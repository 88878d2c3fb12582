// Lists, per language, the message keys en.ts has and the language lacks
// (with the English text to translate), the keys it has that en.ts lacks,
// and placeholders that differ. Run after a merge that added English keys:
//   cd web/ui && node scripts/missing-keys.mjs [fa|ru|zh-CN ...]
// Exit status 1 when anything is listed.
import { createServer } from 'vite'
import { fileURLToPath } from 'node:url'
import { dirname, resolve } from 'node:path'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const server = await createServer({ root, configFile: false, logLevel: 'error', server: { middlewareMode: true, hmr: false }, appType: 'custom', optimizeDeps: { noDiscovery: true, include: [] } })
try {
  const { flatten, placeholders } = await server.ssrLoadModule('/src/locales/keys.ts')
  const load = async (l) => (await server.ssrLoadModule(`/src/locales/${l}.ts`)).default
  const en = flatten(await load('en'))
  const langs = process.argv.slice(2).length ? process.argv.slice(2) : ['zh-CN', 'fa', 'ru']
  let bad = 0
  for (const l of langs) {
    const m = flatten(await load(l))
    const missing = Object.keys(en).filter((k) => !(k in m))
    const extra = Object.keys(m).filter((k) => !(k in en))
    const ph = Object.keys(en).filter((k) => k in m && placeholders(en[k]) !== placeholders(m[k]))
    if (!missing.length && !extra.length && !ph.length) { console.log(`${l}: complete`); continue }
    bad++
    console.log(`${l}: ${missing.length} missing, ${extra.length} extra, ${ph.length} with other placeholders`)
    for (const k of missing) console.log(`  missing ${k}: ${JSON.stringify(en[k])}`)
    for (const k of extra) console.log(`  extra   ${k}`)
    for (const k of ph) console.log(`  placeholders ${k}: en ${placeholders(en[k])}, ${l} ${placeholders(m[k])}`)
  }
  process.exitCode = bad ? 1 : 0
} finally { await server.close() }
