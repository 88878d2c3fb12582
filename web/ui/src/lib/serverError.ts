// Server refusals read "field: message" (errs.Error). serverError splits one
// into the form field it concerns (through the form's own map of server
// names to form names) and a short message for beside that field; the full
// text stays available for a "details" view (an Xray refusal is long).
export interface FieldError { field: string; short: string; full: string }

// needsAlert: a refusal shown at its field needs no alert above the form
// unless its text was shortened (the alert then offers the full text).
export const needsAlert = (e: FieldError, shownAtField: boolean) => !shownAtField || !e.full.endsWith(e.short)

const SHORT = 140

export function serverError(msg: string, fields: Record<string, string>): FieldError {
  const full = (msg || '').trim()
  const m = full.match(/^([A-Za-z_][\w.[\]]*):\s*([\s\S]*)$/)
  let field = '', text = full
  if (m) {
    // "settings.clients[0].password" maps by its longest known prefix.
    const parts = m[1].replace(/\[\d+\]/g, '').split('.')
    for (let i = parts.length; i > 0 && !field; i--) field = fields[parts.slice(0, i).join('.')] ?? fields[parts[i - 1]] ?? ''
    text = m[2]
  }
  // Xray's refusals chain their causes with " > "; the last one says what
  // is wrong ("infra/conf: unknown protocol: x" -> "unknown protocol: x").
  const chain = text.split(' > ')
  if (chain.length > 1) text = `${text.split(':')[0]}: ${chain[chain.length - 1].replace(/^(?:[\w-]+\/[\w/-]*:\s*)+/, '')}`
  const first = text.split('\n')[0]
  const short = first.length > SHORT ? first.slice(0, SHORT - 1).trimEnd() + '…' : first
  return { field, short: short || full, full }
}
