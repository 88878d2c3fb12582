import { describe, it, expect } from 'vitest'
import { validPort, validUUID, validEmail, validShortId, validJSON, randomShortId, randomUUID, randomPassword, validTgId } from './validate'

describe('validators', () => {
  it('telegram ids', () => {
    expect(validTgId('')).toBe('')
    expect(validTgId(undefined)).toBe('')
    expect(validTgId('123456789')).toBe('')
    expect(validTgId(123456789)).toBe('')
    expect(validTgId('-1001234567890')).toBe('')
    expect(validTgId('@name')).toBe('v.tgId')
    expect(validTgId('12.5')).toBe('v.tgId')
    expect(validTgId('0')).toBe('v.tgId')
    expect(validTgId('99999999999999999999')).toBe('v.tgId')
  })
  it('ports', () => {
    expect(validPort(443)).toBe('')
    expect(validPort('8443')).toBe('')
    expect(validPort(0)).toBe('v.port')
    expect(validPort(70000)).toBe('v.port')
    expect(validPort(1.5)).toBe('v.port')
    expect(validPort('')).toBe('v.required')
  })
  it('uuids', () => {
    expect(validUUID(randomUUID())).toBe('')
    expect(validUUID('not-a-uuid')).toBe('v.uuid')
  })
  it('emails', () => {
    expect(validEmail('alice')).toBe('')
    expect(validEmail('  ')).toBe('v.required')
    expect(validEmail('a b')).toBe('v.email')
    expect(validEmail('a~b')).toBe('v.email')
    expect(validEmail('x'.repeat(256))).toBe('v.email')
  })
  it('short ids', () => {
    expect(validShortId('')).toBe('')
    expect(validShortId('0a1b')).toBe('')
    expect(validShortId('abc')).toBe('v.shortId')
    expect(validShortId('zz')).toBe('v.shortId')
    expect(validShortId('0123456789abcdef01')).toBe('v.shortId')
    for (const n of [2, 8, 16]) expect(validShortId(randomShortId(n))).toBe('')
    expect(randomShortId(8)).toHaveLength(8)
  })
  it('json and passwords', () => {
    expect(validJSON('{"a":1}')).toBe('')
    expect(validJSON('{a:1}')).toBe('v.json')
    expect(randomPassword(20)).toMatch(/^[A-Za-z0-9]{20}$/)
  })
})
