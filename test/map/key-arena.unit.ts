// key-arena.ts and key-index.ts: the index finds exactly the keys the arena holds, by string
// or by UTF-8 bytes; a key that is not Unicode is refused.
import t from 'tap'
import fc from 'fast-check'
import { KeyArena } from '../../dist/lib/map/key-arena.js'
import { KeyIndex } from '../../dist/lib/map/key-index.js'
import { KeyError } from '../../dist/lib/codec/keys.js'
import { key } from '../helpers/keys.js'

// mostly ASCII, up to 24 characters (long keys in the arena, short ones in their slots); a key
// looked up as a string (find: a short ASCII key hashed from its characters) and as its UTF-8
// bytes (findStaged) must meet the same slot
const asciiKey = fc.array(fc.constantFrom('\0', 'a', 'b', '\u007f', '\u007f', 'a', '\u0080'), { maxLength: 24 }).map(a => a.join(''))
// around the longest key a held pair's key may be (packAny: 64 ASCII characters)
const longAsciiKey = fc.array(fc.constantFrom('a', 'b', '\u007f', '\u0080'), { minLength: 56, maxLength: 72 }).map(a => a.join(''))

const WAYS = ['string', 'bytes', 'packed'] as const
type Way = typeof WAYS[number]

t.test('the index finds each key it holds, by its bytes, and no other (also when hashes collide)', async t => {
  // 6 bits of hash: keys of every length share tags and slots, so that a probe must tell them
  // apart by length and bytes (kept in the slot up to 8 bytes, in the arena beyond)
  const anyKey = fc.oneof(key, asciiKey, longAsciiKey)
  const way = fc.constantFrom<Way>('string', 'bytes', 'packed')
  const opsArb = fc.array(fc.tuple(anyKey, way), { maxLength: 3000 })
  fc.assert(fc.property(opsArb, fc.array(anyKey, { maxLength: 200 }), fc.constantFrom(6, 32), (ops, probes, hashBits) => {
    const arena = new KeyArena(1024, 1 << 24)
    const index = new KeyIndex(arena, hashBits)
    const first = new Map<string, number>()
    // as a string (find), as its UTF-8 bytes (findStaged, a record emitted as its key), or
    // packed from its characters ahead of the lookup (findPacked, a held pair's key)
    const packed = new Int32Array(3)
    const look = (k: string, how: Way): number => {
      if (how === 'string') return index.find(k)
      if (how === 'packed') {
        if (!index.packAny(k, packed, 0)) return index.find(k)
        index.touch(packed, 1)
        return index.findPacked(k, packed, 0)
      }
      const b = Buffer.from(k)
      return index.findStaged(arena.stageBytes(new DataView(b.buffer, b.byteOffset, b.length), 0, b.length))
    }
    const ks = ops.map(([k]) => k)
    for (const [k, how] of ops) {
      const i = look(k, how)
      if (i === -1) {
        if (first.has(k)) return false
        first.set(k, index.insert())
      } else if (first.get(k) !== i) return false
    }
    // and keys that differ from held ones at their end only (the bytes a slot's words or an
    // arena comparison must tell apart), or by one more or less character
    const cut = (k: string): string => [...k].slice(0, -1).join('')
    const near = ks.flatMap(k => ['a', '\0', '\u20ac'].flatMap(c => [k + c, cut(k) + c])).concat(ks.map(cut))
    for (const p of probes.concat(near)) for (const how of WAYS) if (look(p, how) !== (first.get(p) ?? -1)) return false
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

t.test('a long key grows the arena to its size, and the arena goes back to its first buffer when cleared', async t => {
  const arena = new KeyArena(1 << 16, 1 << 20)
  const first = arena.bytes
  arena.add('short')
  arena.add('k'.repeat(3 << 20)) // past the limit: the arena grows for it (3 bytes a character would be 9 MB)
  t.equal(arena.bytes.length, 5 + (3 << 20), 'room for its UTF-8 bytes')
  t.equal(arena.key(1).length, 3 << 20)
  t.equal(arena.key(0), 'short', 'the key before it was kept')
  arena.clear()
  t.equal(arena.bytes, first, 'cleared, it is its first buffer again')
  arena.add('é'.repeat(5000)) // (under LONG_KEY bytes of room: 3 bytes a character, within the limit)
  t.equal(arena.key(0), 'é'.repeat(5000))
})
