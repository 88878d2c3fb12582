// Helpers shared by the parity test and scripts/missing-keys.mjs.

// flatten maps every leaf of a messages tree to its dotted key.
export function flatten(o: Record<string, unknown>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(o)) {
    if (v && typeof v === 'object') Object.assign(out, flatten(v as Record<string, unknown>, prefix + k + '.'))
    else out[prefix + k] = String(v)
  }
  return out
}

// placeholders is a message's {{names}}, sorted, as one comparable string.
export function placeholders(s: string): string {
  return [...s.matchAll(/\{\{\s*([\w.]+)[^}]*\}\}/g)].map((m) => m[1]).sort().join(',')
}
