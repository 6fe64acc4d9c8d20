// The sort buffer's index of string keys: an open-addressing hash table (linear probing) over
// the keys' bytes in a KeyArena. A Map lookup was measured at 225 ns against 108 ns here (6.9M
// words, 187k distinct); it misses the cache on its bucket, its entry and the key, and a count
// needs two lookups.
//
// A slot is four Int32s: the key's index + 1 (0: empty), a tag (the hash, its low 4 bits
// replaced by the key's length up to 15), then a key of up to 8 bytes itself, zero-padded, or
// a longer key's offset and length in the arena. So a probe decides on a short key from its
// slot alone, and finds a long key's bytes without reading the arena's offsets: at 1M distinct
// words (a 1 GiB word count's buffer), a lookup that read the slot, the offsets and the bytes
// took 391 ns; 231 ns reading the slot only (best of 5, words of a Zipf text).
import { largeGarbage } from '../exec/garbage.js'
import { sameBytes, type KeyArena } from './key-arena.js'

// A per-process seed, so that keys chosen to collide in one run do not collide in another.
const SEED = (Math.random() * 0x100000000) | 0
const MIN_SLOTS = 1 << 10
/** Keys up to this many bytes are kept in their slot. */
const INLINE = 8
/** ASCII keys up to this many characters can be packed (see `pack`); longer ones are staged first. */
const PACK_MAX = 64

/**
 * MurmurHash3 (32-bit) of view[from, from + len), seeded: a word at a time, for keys longer
 * than INLINE, where FNV-1a went a byte at a time (faster on long keys such as log paths).
 */
function hash (view: DataView, from: number, len: number): number {
  let h = SEED
  const end = from + len
  let i = from
  for (; i + 4 <= end; i += 4) h = mixWord(h, view.getUint32(i, true))
  if (i < end) {
    let k = 0
    for (let shift = 0; i < end; i++, shift += 8) k |= view.getUint8(i) << shift
    h ^= scramble(k)
  }
  return finish(h, len)
}

/**
 * MurmurHash3 (32-bit), seeded, of a key of up to INLINE bytes as its slot holds it: two
 * little-endian words, zero-padded. Computed from a string's characters or from the key's
 * bytes alike, so a key finds its slot whichever way it came.
 */
function hashShort (w0: number, w1: number, len: number): number {
  return finish(mixWord(mixWord(SEED, w0), w1), len)
}

function scramble (k: number): number {
  k = Math.imul(k, 0xcc9e2d51)
  return Math.imul((k << 15) | (k >>> 17), 0x1b873593)
}

/** MurmurHash3's step for one 4-byte block `k`. */
function mixWord (h: number, k: number): number {
  h ^= scramble(k)
  return (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0
}

/** MurmurHash3's finalization. */
function finish (h: number, len: number): number {
  h ^= len
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

export class KeyIndex {
  private slots = new Int32Array(4 * MIN_SLOTS)
  private mask = MIN_SLOTS - 1
  private count = 0
  private readonly hashMask: number
  // the slot where the last failed find stopped, and what insert writes there
  private missSlot = -1
  private missTag = 0
  private missWord0 = 0
  private missWord1 = 0
  /** `find`'s packed key (see `pack`). */
  private readonly one = new Int32Array(3)
  private touched = 0

  /** How many keys it holds. */
  get size (): number { return this.count }

  /** `hashBits`: how many bits of the hash to keep (fewer, for tests, make keys collide). */
  constructor (private readonly arena: KeyArena, hashBits = 32) {
    this.hashMask = hashBits >= 32 ? -1 : (1 << hashBits) - 1
  }

  /**
   * The key's index in the arena, or -1: then its bytes are staged there, and `insert` adds it.
   * A short ASCII key is looked up from its characters: its bytes go to the arena only if it
   * is new (a word count's keys are mostly short and mostly there already).
   */
  find (key: string): number {
    if (this.pack(key, this.one, 0)) return this.findPacked(key, this.one, 0)
    return this.findStaged(this.arena.stage(key))
  }

  /**
   * Packs a key of up to INLINE ASCII characters at p[3j, 3j + 3): its tag and slot words,
   * what `findPacked` looks for. False for any other key.
   */
  pack (key: string, p: Int32Array, j: number): boolean {
    const len = key.length
    if (len > INLINE) return false
    let w0 = 0
    let w1 = 0
    for (let k = 0; k < len; k++) {
      const c = key.charCodeAt(k)
      if (c >= 0x80) return false
      if (k < 4) w0 |= c << (8 * k)
      else w1 |= c << (8 * (k - 4))
    }
    p[3 * j] = (hashShort(w0, w1, len) & this.hashMask & ~15) | len
    p[3 * j + 1] = w0
    p[3 * j + 2] = w1
    return true
  }

  /**
   * As `pack`, for ASCII keys up to PACK_MAX characters: a longer key's tag only, hashed from
   * its characters as `hash` hashes its bytes (ASCII: the same), so that `touch` can load its
   * slot before the key is staged.
   */
  packAny (key: string, p: Int32Array, j: number): boolean {
    const len = key.length
    if (len <= INLINE) return this.pack(key, p, j)
    if (len > PACK_MAX) return false
    let h = SEED
    let k = 0
    for (; k + 4 <= len; k += 4) {
      const a = key.charCodeAt(k)
      const b = key.charCodeAt(k + 1)
      const c = key.charCodeAt(k + 2)
      const d = key.charCodeAt(k + 3)
      if ((a | b | c | d) >= 0x80) return false
      h = mixWord(h, a | (b << 8) | (c << 16) | (d << 24))
    }
    if (k < len) {
      let w = 0
      for (let shift = 0; k < len; k++, shift += 8) {
        const c = key.charCodeAt(k)
        if (c >= 0x80) return false
        w |= c << shift
      }
      h ^= scramble(w)
    }
    p[3 * j] = (finish(h, len) & this.hashMask & ~15) | (len < 15 ? len : 15)
    return true
  }

  /**
   * Loads the slots where the keys packed in p[0, 3n) are first looked for, ahead of their
   * finds, and for a longer key whose slot there has its tag, the first bytes of the key it
   * holds. In an index far larger than the cache (a million keys) a find mostly waits for its
   * slot, then for the bytes it compares; loads that do not depend on each other are served
   * together.
   */
  touch (p: Int32Array, n: number): void {
    const slots = this.slots
    const mask = this.mask
    let x = 0
    for (let j = 0; j < n; j++) x ^= slots[4 * ((p[3 * j]! >>> 4) & mask)]!
    const b = this.arena.bytes
    for (let j = 0; j < n; j++) {
      const tag = p[3 * j]!
      const s = 4 * ((tag >>> 4) & mask)
      if ((tag & 15) > INLINE && slots[s + 1] === tag) x ^= b[slots[s + 2]!]!
    }
    this.touched = x // (kept, so that the loads are not optimized away)
  }

  /** As `find`, for `key` packed at p[3j] (staged in the arena if it is new). */
  findPacked (key: string, p: Int32Array, j: number): number {
    const len = key.length
    if (len > INLINE) return this.probe(p[3 * j]!, this.arena.used, this.arena.stage(key), len)
    const i = this.probe(p[3 * j]!, p[3 * j + 1]!, p[3 * j + 2]!, len)
    if (i === -1) this.arena.stage(key)
    return i
  }

  /** As `find`, for the key the arena has staged (`len` bytes). */
  findStaged (len: number): number {
    const b = this.arena.bytes
    const from = this.arena.used
    if (len <= INLINE) {
      let w0 = 0
      let w1 = 0
      for (let k = 0; k < len; k++) {
        if (k < 4) w0 |= b[from + k]! << (8 * k)
        else w1 |= b[from + k]! << (8 * (k - 4))
      }
      return this.findShort(w0, w1, len)
    }
    const tag = (hash(this.arena.view, from, len) & this.hashMask & ~15) | (len < 15 ? len : 15)
    return this.probe(tag, from, len, len)
  }

  /** A key of up to INLINE bytes, as two little-endian words, zero-padded. */
  private findShort (w0: number, w1: number, len: number): number {
    return this.probe((hashShort(w0, w1, len) & this.hashMask & ~15) | len, w0, w1, len)
  }

  /**
   * The index of the key with this tag and slot words (a short key's bytes; a long key's
   * offset, of its staged bytes, and length), or -1.
   */
  private probe (tag: number, w0: number, w1: number, len: number): number {
    const slots = this.slots
    const mask = this.mask
    let i = (tag >>> 4) & mask
    for (;;) {
      const at = slots[4 * i]!
      if (at === 0) break
      if (slots[4 * i + 1] === tag && slots[4 * i + 3] === w1 &&
        (len <= INLINE ? slots[4 * i + 2] === w0 : sameBytes(this.arena.view, slots[4 * i + 2]!, w0, len))) return at - 1
      i = (i + 1) & mask
    }
    this.missSlot = i
    this.missTag = tag
    this.missWord0 = w0
    this.missWord1 = w1
    return -1
  }

  /** Adds the key the last `find` missed (still staged); returns its index. */
  insert (): number {
    const index = this.arena.commit()
    const s = 4 * this.missSlot
    this.slots[s] = index + 1
    this.slots[s + 1] = this.missTag
    this.slots[s + 2] = this.missWord0
    this.slots[s + 3] = this.missWord1
    this.missSlot = -1
    // at most three quarters full: probes stay short (a hit mostly within its slot's cache
    // line), and the table is smaller: a real text's 46k words fit in 1 MB (a core's L2 cache), not 2 MB
    if (4 * ++this.count > 3 * this.mask) this.grow()
    return index
  }

  clear (): void {
    if (this.count === 0) return
    this.slots.fill(0) // keeps its size: the next run will likely need as many keys
    this.count = 0
  }

  /**
   * Empties the index and gives its slots back, for a sort buffer that appends: unused, they
   * stayed resident (64 MB a worker on a sum over 6.3M keys, past the memory bound).
   */
  release (): void {
    if (this.slots.length === 4 * MIN_SLOTS) return this.clear()
    largeGarbage(4 * this.slots.length)
    this.slots = new Int32Array(4 * MIN_SLOTS)
    this.mask = MIN_SLOTS - 1
    this.count = 0
  }

  private grow (): void {
    const old = this.slots
    const n = 2 * (this.mask + 1)
    const slots = new Int32Array(4 * n)
    const mask = n - 1
    for (let i = 0; i < old.length; i += 4) {
      if (old[i] === 0) continue
      let j = (old[i + 1]! >>> 4) & mask
      while (slots[4 * j] !== 0) j = (j + 1) & mask
      for (let k = 0; k < 4; k++) slots[4 * j + k] = old[i + k]!
    }
    this.slots = slots
    this.mask = mask
  }
}
