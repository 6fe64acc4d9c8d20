// sort-keys.ts: the order it gives is code point (UTF-8 byte) order, whatever the keys share,
// however many tie on their prefixes, around 0xff, astral characters and surrogates; equal
// keys keep index order.
import t from 'tap'
import fc from 'fast-check'
import { compareCodePoints, sortKeys } from '../dist/lib/sort-keys.js'
import { KeyArena, sortArena } from '../dist/lib/key-arena.js'
import { KeyError } from '../dist/lib/keys.js'

// few characters, chosen at the edges of the prefix encoding: NUL (as the end of a key),
// 0xfe/0xff/0x100, Cyrillic, BMP characters above the surrogates, and an astral one (a
// surrogate pair, which ranks above every other unit)
const chars = ['\0', 'a', 'b', '\u00fe', '\u00ff', '\u0100', '\u0416', '\u20ac', '\uffff', '\u{1f600}']
const key = fc.array(fc.constantFrom(...chars), { maxLength: 12 }).map(a => a.join(''))
const keys = fc.tuple(fc.constantFrom('', 'key', 'k\u00ff\u20ac'), fc.uniqueArray(key, { minLength: 0, maxLength: 600 }))
  .map(([prefix, ks]) => [...new Set(ks.map(k => prefix + k))])

t.test('code point order, by index, for any distinct keys', async t => {
  fc.assert(fc.property(keys, ks => {
    const surrogates = ks.some(k => /[\ud800-\udfff]/.test(k))
    const order = sortKeys(ks, surrogates)
    const got = Array.from(order, i => ks[i])
    const want = ks.slice().sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    return got.length === ks.length && got.every((k, i) => k === want[i])
  }), { numRuns: 400 })
  t.pass()
})

t.test('equal keys keep index order; only the first n keys count', async t => {
  fc.assert(fc.property(fc.array(key, { maxLength: 400 }), fc.nat(), (ks, cut) => {
    const n = ks.length === 0 ? 0 : cut % (ks.length + 1)
    const surrogates = ks.some(k => /[\ud800-\udfff]/.test(k))
    const order = Array.from(sortKeys(ks, surrogates, n))
    const want = Array.from({ length: n }, (_, i) => i)
      .sort((a, b) => Buffer.compare(Buffer.from(ks[a]!), Buffer.from(ks[b]!)) || a - b)
    return order.length === n && order.every((i, j) => i === want[j])
  }), { numRuns: 300 })
  t.pass()
})

t.test('many keys: the index and the prefix share 53 bits', async t => {
  const ks = Array.from({ length: 300_000 }, (_, i) => `key${((i * 2654435761) >>> 0).toString(16)}`)
  const unique = [...new Set(ks)]
  const order = sortKeys(unique, false)
  const want = unique.slice().sort()
  t.ok(Array.from(order, i => unique[i]).every((k, i) => k === want[i]))
})

t.test('compareCodePoints puts astral characters after the rest of the BMP', async t => {
  t.ok(compareCodePoints('\u{1f600}', '\uffff') > 0)
  t.ok(compareCodePoints('\uffff', '\u{1f600}') < 0)
  t.ok(compareCodePoints('ab', 'abc') < 0)
  t.equal(compareCodePoints('x', 'x'), 0)
})

t.test('large tie groups: refined past their shared units, NUL apart from the end', async t => {
  // thousands of keys over a tiny alphabet, most sharing a long start: groups that tie on the
  // first prefix are far larger than an insertion sort takes
  const unit = fc.constantFrom('\0', 'a', 'b', '\u00ff', '\u20ac', '\u{1f600}')
  const tail = fc.array(unit, { maxLength: 8 }).map(a => a.join(''))
  const starts = fc.array(fc.array(unit, { maxLength: 20 }).map(a => a.join('')), { minLength: 1, maxLength: 4 })
  fc.assert(fc.property(starts, fc.array(fc.tuple(fc.nat(), tail), { minLength: 50, maxLength: 3000 }), (heads, parts) => {
    const ks = parts.map(([h, rest]) => heads[h % heads.length] + rest)
    const surrogates = ks.some(k => /[\ud800-\udfff]/.test(k))
    const order = Array.from(sortKeys(ks, surrogates))
    const want = ks.map((_, i) => i).sort((a, b) => Buffer.compare(Buffer.from(ks[a]!), Buffer.from(ks[b]!)) || a - b)
    return order.every((i, j) => i === want[j])
  }), { numRuns: 150 })
  t.pass()
})

t.test('keys as UTF-8 bytes in an arena: the same order as sortKeys', async t => {
  const unit = fc.constantFrom('\0', 'a', 'b', '\u007f', '\u0080', '\u00ff', '\u20ac', '\uffff', '\u{1f600}')
  const tail = fc.array(unit, { maxLength: 10 }).map(a => a.join(''))
  const starts = fc.array(fc.array(unit, { maxLength: 40 }).map(a => a.join('')), { minLength: 1, maxLength: 4 })
  fc.assert(fc.property(starts, fc.array(fc.tuple(fc.nat(), tail), { maxLength: 2500 }), fc.integer({ min: 1, max: 1 << 16 }), (heads, parts, room) => {
    const ks = parts.map(([h, rest]) => heads[h % heads.length] + rest)
    const arena = new KeyArena(room, 1 << 20) // small: it must grow
    for (const k of ks) arena.add(k)
    const order = Array.from(sortArena(arena))
    const want = Array.from(sortKeys(ks, ks.some(k => /[\ud800-\udfff]/.test(k))))
    return order.length === ks.length && order.every((i, j) => i === want[j])
  }), { numRuns: 150 })
  t.pass()
})

t.test('an arena refuses a key with a lone surrogate', async t => {
  const arena = new KeyArena(1024, 1 << 20)
  arena.add('fine')
  t.throws(() => arena.add('bad\ud800'), KeyError)
  t.throws(() => arena.add('x'.repeat(40) + '\udc00'), KeyError)
})
