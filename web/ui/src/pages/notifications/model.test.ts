import { describe, it, expect } from 'vitest'
import { fieldOf, parseEvents, joinEvents, subscribable, subscribes, withKind, telegramGets, setTelegram, targetOf, randomSecret, kindKey, type KindInfo } from './model'

const kinds: KindInfo[] = [
  { kind: 'client.depleted', email: true, telegram: true },
  { kind: 'login.failed', email: true, telegram: true, telegramAlso: 'tgBotLoginNotify' },
  { kind: 'xray.crashed', email: true, telegram: true },
  { kind: 'test', email: false, telegram: false },
]
const all = subscribable(kinds)

describe('notifications model', () => {
  it('finds the field a server message names', () => {
    expect(fieldOf('smtpHost: "x" does not resolve', ['smtpHost', 'smtpPort'])).toBe('smtpHost')
    expect(fieldOf('tgBotToken: the Bot API refused it: 401', ['tgBotToken'])).toBe('tgBotToken')
    expect(fieldOf('smtpTo: none given', ['smtpHost'])).toBeUndefined()
    expect(fieldOf('connection refused', ['smtpHost'])).toBeUndefined()
  })
  it('reads and writes event lists in the server order', () => {
    expect(parseEvents(' login.failed, ,xray.crashed ')).toEqual(['login.failed', 'xray.crashed'])
    expect(parseEvents(undefined)).toEqual([])
    expect(parseEvents('login.attempt,cpu.high,xray.crash,login.failed')).toEqual(['login.failed', 'cpu.high', 'xray.crashed'])
    expect(joinEvents(['xray.crashed', 'client.depleted', 'bogus'], all)).toBe('client.depleted,xray.crashed')
  })
  it('leaves "test" out of what can be subscribed', () => {
    expect(all).toEqual(['client.depleted', 'login.failed', 'xray.crashed'])
  })
  it('switches a webhook kind, keeping "*" only while everything is on', () => {
    expect(subscribes(['*'], 'login.failed')).toBe(true)
    expect(withKind(['*'], 'login.failed', false, all)).toEqual(['client.depleted', 'xray.crashed'])
    expect(withKind(['*'], 'login.failed', true, all)).toEqual(['*'])
    expect(withKind(['xray.crashed'], 'client.depleted', true, all)).toEqual(['client.depleted', 'xray.crashed'])
    expect(withKind(['client.depleted', 'login.failed'], 'xray.crashed', true, all)).toEqual(all)
    expect(withKind(['login.failed'], 'login.failed', false, all)).toEqual([])
  })
  it('tells what Telegram gets: listed, and failed logins only with tgBotLoginNotify', () => {
    expect(telegramGets(kinds[0], ['client.depleted'], false)).toBe(true)
    expect(telegramGets(kinds[0], [], true)).toBe(false)
    expect(telegramGets(kinds[1], ['login.failed'], false)).toBe(false)
    expect(telegramGets(kinds[1], ['login.failed'], true)).toBe(true)
    expect(telegramGets(kinds[3], ['test'], true)).toBe(false)
  })
  it('switches a Telegram kind, and tgBotLoginNotify with failed logins', () => {
    expect(setTelegram(kinds[0], false, ['client.depleted', 'login.failed'], true)).toEqual({ events: ['login.failed'], loginNotify: true })
    expect(setTelegram(kinds[1], false, ['client.depleted', 'login.failed'], true)).toEqual({ events: ['client.depleted'], loginNotify: false })
    expect(setTelegram(kinds[1], true, ['login.failed'], false)).toEqual({ events: ['login.failed'], loginNotify: true })
    expect(setTelegram(kinds[2], true, [], false)).toEqual({ events: ['xray.crashed'], loginNotify: false })
  })
  it('names delivery targets', () => {
    const hooks = [{ id: 3, url: 'http://127.0.0.1:9/h', events: ['*'], enabled: true, created: 0 }]
    expect(targetOf(-1, hooks)).toBe('email')
    expect(targetOf(-2, hooks)).toBe('telegram')
    expect(targetOf(3, hooks)).toBe('http://127.0.0.1:9/h')
    expect(targetOf(4, hooks)).toBe('#4')
  })
  it('makes secrets and translation keys', () => {
    const s = randomSecret()
    expect(s).toMatch(/^[0-9a-f]{64}$/)
    expect(randomSecret()).not.toBe(s)
    expect(kindKey('client.depleted')).toBe('clientDepleted')
    expect(kindKey('test')).toBe('test')
  })
})
