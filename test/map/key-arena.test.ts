// key-arena.ts and key-index.ts: keys as UTF-8 bytes sort in code point (UTF-8 byte) order,
// whatever they share, however many tie on their prefixes, around NUL, 0x7f/0x80, 0xff,
// astral characters; equal keys keep index order; the index finds exactly the keys it holds.
import t from 'tap'
import fc from 'fast-check'
import { KeyArena, sortArena } from '../../dist/lib/map/key-arena.js'
import { KeyIndex } from '../../dist/lib/map/key-index.js'
import { KeyError } from '../../dist/lib/codec/keys.js'

const byBytes = (ks: string[]): number[] =>
  ks.map((_, i) => i).sort((a, b) => Buffer.compare(Buffer.from(ks[a]!), Buffer.from(ks[b]!)) || a - b)

function sorted (ks: string[], room = 1 << 16): number[] {
  const arena = new KeyArena(room, 1 << 24)
  for (const k of ks) arena.add(k)
  return Array.from(sortArena(arena))
}

// few characters, chosen at the edges of the prefix encoding: NUL (beside the end of a key),
// 0x7f/0x80 (one and two UTF-8 bytes), 0xff, Cyrillic, BMP characters above the surrogates,
// and an astral one (four bytes, after every BMP character)
const chars = ['\0', 'a', 'b', '\u007f', '\u0080', '\u00ff', '\u0100', '\u0416', '\u20ac', '\uffff', '\u{1f600}']
const key = fc.array(fc.constantFrom(...chars), { maxLength: 12 }).map(a => a.join(''))

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

t.test('many keys: the index and the prefix share 64 bits', async t => {
  const ks = [...new Set(Array.from({ length: 300_000 }, (_, i) => `key${((i * 2654435761) >>> 0).toString(16)}`))]
  const want = ks.slice().sort()
  t.ok(sorted(ks).every((i, j) => ks[i] === want[j]))
})

// mostly ASCII, up to 24 characters (long keys in the arena, short ones in their slots); a key
// looked up as a string (find) and as its UTF-8 bytes (findStaged) must meet the same slot
const asciiKey = fc.array(fc.constantFrom('\0', 'a', 'b', '\u007f', '\u007f', 'a', '\u0080'), { maxLength: 24 }).map(a => a.join(''))

t.test('the index finds each key it holds, by its bytes, and no other (also when hashes collide)', async t => {
  // 6 bits of hash: keys of every length share tags and slots, so that a probe must tell them
  // apart by length and bytes (kept in the slot up to 8 bytes, in the arena beyond)
  const anyKey = fc.oneof(key, asciiKey)
  const opsArb = fc.array(fc.tuple(anyKey, fc.boolean()), { maxLength: 3000 })
  fc.assert(fc.property(opsArb, fc.array(anyKey, { maxLength: 200 }), fc.constantFrom(6, 32), (ops, probes, hashBits) => {
    const arena = new KeyArena(1024, 1 << 24)
    const index = new KeyIndex(arena, hashBits)
    const first = new Map<string, number>()
    // as a string (find) or as its UTF-8 bytes (findStaged, a record emitted as its key)
    const look = (k: string, asBytes: boolean): number => {
      if (!asBytes) return index.find(k)
      const b = Buffer.from(k)
      return index.findStaged(arena.stageBytes(new DataView(b.buffer, b.byteOffset, b.length), 0, b.length))
    }
    const ks = ops.map(([k]) => k)
    for (const [k, asBytes] of ops) {
      const i = look(k, asBytes)
      if (i === -1) {
        if (first.has(k)) return false
        first.set(k, index.insert())
      } else if (first.get(k) !== i) return false
    }
    // and keys that differ from held ones at their end only (the bytes a slot's words or an
    // arena comparison must tell apart), or by one more or less character
    const cut = (k: string): string => [...k].slice(0, -1).join('')
    const near = ks.flatMap(k => ['a', '\0', '\u20ac'].flatMap(c => [k + c, cut(k) + c])).concat(ks.map(cut))
    for (const p of probes.concat(near)) for (const asBytes of [false, true]) if (look(p, asBytes) !== (first.get(p) ?? -1)) return false
    return arena.size === first.size && [...first].every(([k, i]) => arena.key(i) === k)
  }), { numRuns: 200 })
  t.pass()
})

t.test('a key with a lone surrogate is refused, and nothing is added', async t => {
  const arena = new KeyArena(1024, 1 << 20)
  const index = new KeyIndex(arena)
  arena.add('fine')
  t.throws(() => arena.add('bad\ud800'), KeyError)
  t.throws(() => index.find('x'.repeat(40) + '\udc00'), KeyError)
  t.equal(arena.size, 1)
  t.equal(index.find('fine'), -1, 'added unindexed')
})

t.test('keys that split off one at a time: refined one pass per key, in order', async t => {
  // each refining pass separates one key from the rest (sortArena keeps its tie groups on a
  // stack, so such keys cannot nest calls as deep as there are keys)
  const ks = Array.from({ length: 3000 }, (_, i) => 'a'.repeat(i) + 'b')
  const got = sorted(ks, 1 << 20)
  const want = byBytes(ks)
  t.ok(got.every((i, j) => i === want[j]))
})
