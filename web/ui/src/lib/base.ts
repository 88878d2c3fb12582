// basePath is the panel's webBasePath (from the <base> tag the server adds),
// always starting and ending with "/".
export function basePath(): string {
  if (typeof document === 'undefined') return '/'
  const p = new URL(document.baseURI).pathname
  return p.endsWith('/') ? p : p + '/'
}
