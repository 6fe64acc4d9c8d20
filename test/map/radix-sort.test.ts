// radix-sort.ts: keys as UTF-8 bytes sort in code point (UTF-8 byte) order, whatever they
// share, however many tie on their prefixes, around NUL, 0x7f/0x80, 0xff, astral characters;
// equal keys keep index order.
import t from 'tap'
import fc from 'fast-check'
import { KeyArena } from '../../dist/lib/map/key-arena.js'
import { sortArena, sortKeys } from '../../dist/lib/map/radix-sort.js'
import { key } from '../helpers/keys.js'

function byBytes (ks: string[]): number[] {
  const bytes = ks.map(k => Buffer.from(k))
  return ks.map((_, i) => i).sort((a, b) => Buffer.compare(bytes[a]!, bytes[b]!) || a - b)
}

function sorted (ks: string[], room = 1 << 16): number[] {
  const arena = new KeyArena(room, 1 << 24)
  for (const k of ks) arena.add(k)
  return Array.from(sortArena(arena))
}

t.test('code point order, equal keys in index order, for any keys', async t => {
  fc.assert(fc.property(fc.constantFrom('', 'key', 'k\u00ff\u20ac'), fc.array(key, { maxLength: 600 }), (prefix, ks) => {
    const keys = ks.map(k => prefix + k)
    const got = sorted(keys)
    const want = byBytes(keys)
    return got.length === keys.length && got.every((i, j) => i === want[j])
  }), { numRuns: 400 })
  t.pass()
})

t.test('large tie groups: refined past their shared bytes, NUL apart from the end', async t => {
  // thousands of keys over a tiny alphabet, most sharing a long start: groups that tie on the
  // first prefix are far larger than an insertion sort takes
  const unit = fc.constantFrom('\0', 'a', 'b', '\u00ff', '\u20ac', '\u{1f600}')
  const tail = fc.array(unit, { maxLength: 10 }).map(a => a.join(''))
  const starts = fc.array(fc.array(unit, { maxLength: 40 }).map(a => a.join('')), { minLength: 1, maxLength: 4 })
  const partsArb = fc.array(fc.tuple(fc.nat(), tail), { minLength: 50, maxLength: 3000 })
  fc.assert(fc.property(starts, partsArb, fc.integer({ min: 1, max: 1 << 16 }), (heads, parts, room) => {
    const ks = parts.map(([h, rest]) => heads[h % heads.length] + rest)
    const got = sorted(ks, room) // a small arena must grow
    const want = byBytes(ks)
    return got.every((i, j) => i === want[j])
  }), { numRuns: 150 })
  t.pass()
})

t.test('tens of thousands of keys, tie groups among them: sorted by radix, and refined', async t => {
  // over 4096 keys (and tie groups over 4096) the packed prefixes sort by radix, not natively
  const alphabet = ['\0', 'a', 'b', '\u00ff', '\u20ac', '\u{1f600}']
  const head = fc.array(fc.constantFrom(...alphabet), { maxLength: 30 }).map(a => a.join(''))
  fc.assert(fc.property(fc.array(head, { minLength: 1, maxLength: 3 }), fc.integer({ min: 5000, max: 40_000 }), fc.integer(), (heads, n, seed) => {
    // (the keys from a seed: fast-check would shrink 40k generated keys slowly)
    let x = seed >>> 0
    const next = (): number => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x >>> 8 }
    const ks = Array.from({ length: n }, () => heads[next() % heads.length] + Array.from({ length: next() % 12 }, () => alphabet[next() % alphabet.length]).join(''))
    const got = sorted(ks)
    const want = byBytes(ks)
    return got.every((i, j) => i === want[j])
  }), { numRuns: 12 })
  // one key apart from thousands that share every digit of some radix pass but its own
  for (const odd of ['aaab', 'aaa', 'aaa\0', 'aa\u{1f600}']) {
    const ks = Array.from({ length: 6000 }, () => 'aaaa')
    ks.splice(2500, 0, odd)
    const want = byBytes(ks)
    t.same(sorted(ks), want, `with ${JSON.stringify(odd)}`)
  }
})

t.test('keys whose later bytes hold more symbols than their first: prefixes as long as those fit', async t => {
  // a prefix packs as many bytes as its symbols leave room for, and the symbols are counted over
  // the bytes packed: first bytes of a few symbols, later ones of many, over 4096 keys (by radix)
  const sizes = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 200 }), fc.integer({ min: 0, max: 12 }))
  fc.assert(fc.property(sizes, fc.integer(), ([few, many, at], seed) => {
    let x = seed >>> 0
    const next = (): number => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x >>> 8 }
    const ks = Array.from({ length: 5000 + next() % 3000 }, () => {
      let k = ''
      for (let i = 0; i < at; i++) k += 'ab'[next() % (few + 1) % 2]
      for (let i = next() % 14; i > 0; i--) k += String.fromCodePoint(1 + next() % many)
      return k
    })
    const got = sorted(ks)
    const want = byBytes(ks)
    return got.every((i, j) => i === want[j])
  }), { numRuns: 30 })
  t.pass()
})

t.test('repeated keys the prefixes hold whole: equal keys in index order, with or without refining', async t => {
  // appended pairs: each key many times, over 4096 of them (sorted by radix); the first prefix
  // holds hex keys whole, the wider alphabet's keys only after a refining pass
  fc.assert(fc.property(fc.integer(), fc.integer({ min: 1, max: 3000 }), fc.boolean(), (seed, distinct, wide) => {
    let x = seed >>> 0
    const next = (): number => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x >>> 8 }
    const alphabet = wide ? 'abcdefghijklmnopqrstuvwxyz0123456789\0\u00ff' : '0123456789abcdef'
    const word = (): string => Array.from({ length: next() % 9 }, () => alphabet[next() % alphabet.length]).join('')
    const words = Array.from({ length: distinct }, () => 'key' + word())
    const ks = Array.from({ length: 5000 + next() % 5000 }, () => words[next() % distinct]!)
    const got = sorted(ks)
    const want = byBytes(ks)
    return got.every((i, j) => i === want[j])
  }), { numRuns: 20 })
  // keys one byte longer than the first prefix holds, and every length around it: keys that
  // tie on the prefix and differ in the last byte
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN'
  for (let len = 2; len <= 20; len++) {
    const ks = Array.from({ length: 8000 }, (_, i) => alphabet[i % 40] + 'm'.repeat(len - 2) + alphabet[(i * 7919) % 37])
    t.same(sorted(ks), byBytes(ks), `keys of ${len} bytes`)
  }
  // a refining pass packs a few bytes past what its group shares: tails one byte longer, and
  // every length around it, whose keys tie on those bytes and differ in the last
  for (let tail = 1; tail <= 10; tail++) {
    const ks = Array.from({ length: 8000 }, (_, i) => alphabet[i % 40] + 'q'.repeat(20) + 'xy'[(i >> 3) & 1] + 'a'.repeat(tail - 1) + alphabet[(i * 7919) % 37])
    t.same(sorted(ks), byBytes(ks), `tails of ${tail} bytes`)
  }
})

t.test('many keys: the index and the prefix share 64 bits', async t => {
  const ks = [...new Set(Array.from({ length: 300_000 }, (_, i) => `key${((i * 2654435761) >>> 0).toString(16)}`))]
  const want = ks.slice().sort()
  t.ok(sorted(ks).every((i, j) => ks[i] === want[j]))
})

t.test('keys that split off one at a time: refined one pass per key, in order', async t => {
  // each refining pass separates one key from the rest (sortArena keeps its tie groups on a
  // stack, so such keys cannot nest calls as deep as there are keys)
  const ks = Array.from({ length: 3000 }, (_, i) => 'a'.repeat(i) + 'b')
  const got = sorted(ks, 1 << 20)
  const want = byBytes(ks)
  t.ok(got.every((i, j) => i === want[j]))
})

t.test('keys the prefixes hold whole: their bytes, and which are equal, from the prefixes alone', async t => {
  let whole = 0
  // short tails after a shared start over the edge characters (NUL, 0xff, multi-byte UTF-8, an
  // empty tail: a key that is the shared start alone), few or many keys, repeated or not
  fc.assert(fc.property(fc.constantFrom('', 'key', 'k\u00ff\u20ac', '\0'), fc.array(key, { minLength: 1, maxLength: 400 }), fc.integer({ min: 1, max: 30 }), (prefix, tails, repeat) => {
    const ks = Array.from({ length: tails.length * repeat }, (_, i) => prefix + [...tails[(i * 7919) % tails.length]!].slice(0, 3).join(''))
    const arena = new KeyArena(1 << 16, 1 << 24)
    for (const k of ks) arena.add(k)
    const sorted = sortKeys(arena)
    const want = byBytes(ks)
    if (!Array.from(sorted.order).every((i, j) => i === want[j])) return false
    if (sorted.whole === undefined) return true
    whole++
    for (let j = 0; j < ks.length; j++) {
      const bytes = Buffer.from(ks[want[j]!]!)
      if (!sorted.whole.bytes.subarray(0, sorted.whole.write(j)).equals(bytes)) return false
      if (j > 0 && sorted.whole.same(j - 1, j) !== (ks[want[j - 1]!] === ks[want[j]!])) return false
    }
    return true
  }), { numRuns: 300 })
  t.ok(whole >= 100, `${whole} of 300 sorts held their keys whole`)
  // over 4096 keys (sorted by radix): hex keys after a shared start, each several times
  const hex = Array.from({ length: 20_000 }, (_, i) => `key${(((i % 7000) * 2654435761) >>> 0).toString(16)}`)
  const arena = new KeyArena(1 << 16, 1 << 24)
  for (const k of hex) arena.add(k)
  const { order, whole: w } = sortKeys(arena)
  t.ok(w !== undefined, 'hex keys are held whole')
  const got = Array.from(order, (_, j) => w!.bytes.toString('utf8', 0, w!.write(j)))
  t.same(got, hex.slice().sort())
  t.same(Array.from(order, (_, j) => j > 0 && w!.same(j - 1, j)), Array.from(order, (_, j) => j > 0 && hex[order[j - 1]!] === hex[order[j]!]))
})
