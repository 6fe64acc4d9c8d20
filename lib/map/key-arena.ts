// The sort buffer's string keys as UTF-8 bytes, back to back in one Buffer (radix-sort.ts orders them).
// The buffer kept a JS string per key until its spill: the strings lived long enough to be
// promoted, so collecting them was old-generation work; sorting and writing them read each
// one from wherever the heap had put it; and a job's key is often a slice of a longer string
// (`line.split(' ')[6]`), which V8 hashes and compares 2-6x slower than a flat one. Here the
// job's key string dies young, its bytes are hashed and compared (key-index.ts), the sort and
// the writer read the arena, and a key takes its UTF-8 length, not two bytes a character.
// UTF-8 byte order is code point order (docs/semantics.md), so the keys sort as bytes.
import { copyBytes, utf8Slice, utf8Write, viewOf } from '../codec/bytes.js'
import { encodeStringKey } from '../codec/keys.js'
import { largeGarbage } from '../exec/garbage.js'

// keys this short are encoded by a loop here while they are ASCII (a call into C++ costs more);
// V8 makes longer substrings slices of their parent, whose characters JS reads slowly
const SHORT = 13
const MIN_BYTES = 1 << 16
const MIN_KEYS = 1 << 12
/** Most key bytes an arena holds (offsets are Int32; the sort buffer spills before this). */
const ARENA_MAX = 1 << 30
// a key this long makes room for its exact UTF-8 length, not for 3 bytes a UTF-16 unit
const LONG_KEY = 1 << 12

export class KeyArena {
  bytes: Buffer
  /** A DataView of `bytes` (replaced with it). */
  view: DataView
  /** Key i is bytes[ends[i - 1] (0 for i = 0), ends[i]). */
  ends = new Int32Array(MIN_KEYS)
  size = 0
  used = 0
  /** Bytes of the key `stage` wrote after `used`, not yet a key. */
  staged = 0

  /** The buffer before one grew past `limit` for a long key (the arena goes back to it when cleared). */
  private home: Buffer | undefined

  /** `bytes` to start with; it doubles when full, up to `limit` (unless one key needs more). */
  constructor (bytes: number, private readonly limit: number) {
    this.bytes = Buffer.allocUnsafeSlow(Math.max(MIN_BYTES, Math.min(bytes, limit, ARENA_MAX)))
    this.view = viewOf(this.bytes)
  }

  /** Whether a key of `chars` UTF-16 units might not fit without the arena growing. */
  full (chars: number): boolean {
    return this.used + 3 * chars > this.bytes.length
  }

  /** Whether `bytes` more bytes of keys fit without the arena growing. */
  fits (bytes: number): boolean {
    return this.used + bytes <= this.bytes.length
  }

  /** Whether `bytes` more bytes of keys would take the arena past its limit. */
  over (bytes: number): boolean {
    return this.used + bytes > Math.min(this.limit, ARENA_MAX)
  }

  start (i: number): number { return i === 0 ? 0 : this.ends[i - 1]! }

  /** Appends a key; returns its length in bytes. Throws KeyError for a lone surrogate. */
  add (key: string): number {
    const len = this.stage(key)
    this.commit()
    return len
  }

  /**
   * Writes a key's UTF-8 bytes at `used` without making it a key (`commit` does); returns
   * their length. Throws KeyError for a lone surrogate.
   */
  stage (key: string): number {
    const len = key.length
    if (this.used + 3 * len > this.bytes.length) this.grow(len < LONG_KEY ? 3 * len : Buffer.byteLength(key, 'utf8'))
    const b = this.bytes
    const from = this.used
    let p = from
    let ascii = len < SHORT
    if (ascii) {
      for (let i = 0; i < len; i++) {
        const c = key.charCodeAt(i)
        if (c >= 0x80) { ascii = false; break }
        b[p++] = c
      }
    }
    if (!ascii) {
      if (!key.isWellFormed()) encodeStringKey(key) // throws the KeyError (UTF-8 has no lone surrogates)
      p = from + utf8Write(b, key, from)
    }
    return (this.staged = p - from)
  }

  /**
   * As `stage`, for a key given as its UTF-8 bytes, src[start, end) (a map's record emitted as
   * its key: copied from the input, not encoded from the string again).
   */
  stageBytes (src: DataView, start: number, end: number): number {
    const len = end - start
    if (this.used + len > this.bytes.length) this.grow(len)
    copyBytes(src, start, end, this.view, this.used)
    return (this.staged = len)
  }

  /** Makes the staged bytes a key; returns its index. */
  commit (): number {
    if (this.size === this.ends.length) {
      const ends = new Int32Array(2 * this.ends.length)
      ends.set(this.ends)
      this.ends = ends
    }
    this.used += this.staged
    this.staged = 0
    this.ends[this.size] = this.used
    return this.size++
  }

  /** Key i as a string. */
  key (i: number): string {
    const s = this.start(i)
    const e = this.ends[i]!
    return (e - s <= 8 ? shortAscii(this.bytes, s, e) : undefined) ?? utf8Slice(this.bytes, s, e)
  }

  clear (): void {
    this.size = 0
    this.used = 0
    this.staged = 0
    if (this.home !== undefined) {
      largeGarbage(this.bytes.length)
      this.bytes = this.home
      this.view = viewOf(this.bytes)
      this.home = undefined
    }
  }

  private grow (need: number): void {
    const bytes = Buffer.allocUnsafeSlow(Math.max(this.used + need, Math.min(2 * this.bytes.length, this.limit, ARENA_MAX)))
    this.bytes.copy(bytes, 0, 0, this.used)
    if (bytes.length > this.limit) this.home ??= this.bytes
    this.bytes = bytes
    this.view = viewOf(bytes)
  }
}

/**
 * b[s, e), 8 bytes at most, as a string if they are ASCII (else undefined): made from its
 * characters here, a third of the time of utf8Slice's call into C++ (a spill makes a string of
 * each key it combines).
 */
function shortAscii (b: Buffer, s: number, e: number): string | undefined {
  let any = 0
  for (let k = s; k < e; k++) any |= b[k]!
  if (any >= 0x80) return undefined
  const c = String.fromCharCode
  switch (e - s) {
    case 0: return ''
    case 1: return c(b[s]!)
    case 2: return c(b[s]!, b[s + 1]!)
    case 3: return c(b[s]!, b[s + 1]!, b[s + 2]!)
    case 4: return c(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!)
    case 5: return c(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!)
    case 6: return c(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!)
    case 7: return c(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!)
    default: return c(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!)
  }
}

export function sameRange (b: Uint8Array, s1: number, e1: number, s2: number, e2: number): boolean {
  if (e1 - s1 !== e2 - s2) return false
  for (let i = 0; i < e1 - s1; i++) if (b[s1 + i] !== b[s2 + i]) return false
  return true
}

/** Whether view[s1, s1 + len) and view[s2, s2 + len) hold the same bytes, 4 at a time. */
export function sameBytes (view: DataView, s1: number, s2: number, len: number): boolean {
  let i = 0
  for (; i + 4 <= len; i += 4) if (view.getUint32(s1 + i) !== view.getUint32(s2 + i)) return false
  for (; i < len; i++) if (view.getUint8(s1 + i) !== view.getUint8(s2 + i)) return false
  return true
}

// keys touchKeys loads at a time
export const TOUCH = 64
// eslint-disable-next-line no-unused-vars, @typescript-eslint/no-unused-vars -- written so that the loads are kept
let touched = 0

/**
 * Loads the offsets and the first and last bytes of the keys order[from, to) ahead of their
 * use. Keys in sorted order lie scattered over the arena, and each one missed the cache (and
 * the TLB) in turn where it was used; loads that do not depend on each other are served
 * together.
 */
export function touchKeys (arena: KeyArena, order: Uint32Array, from: number, to: number): void {
  const ends = arena.ends
  const b = arena.bytes
  let x = 0
  for (let i = from; i < to; i++) x ^= ends[order[i]!]!
  for (let i = from; i < to; i++) {
    const k = order[i]!
    const s = arena.start(k)
    const e = ends[k]!
    x ^= b[s]! ^ b[e > s ? e - 1 : s]!
  }
  touched ^= x // kept, so that the loads are not optimized away
}
