// Words of the inbound and client forms' keys, checks and errors (en).
const formEn = {
  ssServerKey: 'Server key (base64, {{n}} bytes)',
  ssClientKey: 'Key (base64, {{n}} bytes)',
  newKey: 'New key',
  ssKey16: 'Must be base64 of exactly 16 bytes (24 characters ending in ==)',
  ssKey32: 'Must be base64 of exactly 32 bytes (44 characters ending in =)',
  quota: 'Must be 0 (unlimited) or more',
  quotaMax: 'Too large',
  count: 'Must be a whole number, 0 or more',
  details: 'Details',
  hideDetails: 'Hide details',
}
export default formEn
