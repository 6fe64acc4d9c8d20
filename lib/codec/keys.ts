// Keys and their order-preserving encoding.
//
// An encoded key ("ekey") is a latin1 string: one char per byte. JS compares one-byte strings
// char by char, which is byte order, so `a < b` on ekeys is the key order of docs/semantics.md, and ekeys are
// cheap Map keys. Layout:
//   null 01 | false 02 | true 03 | number 04 + 8 bytes | string 05 + UTF-8 (00 -> 00 FF) + 00 01
//   array 06 + elements + 00
// Numbers: big-endian IEEE 754 with the sign bit flipped (positives) or all bits flipped
// (negatives), so byte order is numeric order; -0 is encoded as 0. Strings as UTF-8 bytes sort
// by code point, unlike JS `<` on UTF-16 (astral chars would sort before U+E000..U+FFFF).
// A string's terminator 00 01 sorts before any escaped NUL (00 FF) and any other byte, so a
// prefix sorts first; an array's end 00 sorts before any element tag, so shorter arrays first.

export type Key = null | boolean | number | string | Key[]

const TAG_NULL = 1
const TAG_FALSE = 2
const TAG_TRUE = 3
const TAG_NUMBER = 4
export const TAG_STRING = 5
const TAG_ARRAY = 6
// arrays in a key may nest this deep (it also stops an array that holds itself)
const MAX_DEPTH = 1000

const f64 = new Float64Array(1)
const f64bytes = new Uint8Array(f64.buffer)
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
const ASCII_NO_NUL = /^[\x01-\x7f]*$/

/** Why a key was refused; the caller adds the record's place. */
export class KeyError extends Error {
  override name = 'KeyError'
}

export function encodeKey (key: unknown): string {
  if (typeof key === 'string') return encodeStringKey(key)
  return encodeOther(key, 0)
}

/** The hot path: most keys are strings. */
export function encodeStringKey (s: string): string {
  if (ASCII_NO_NUL.test(s)) return '\x05' + s + '\x00\x01'
  if (!s.isWellFormed()) throw new KeyError(`key ${showKey(s)} has a lone UTF-16 surrogate, which has no UTF-8 form`)
  let bytes = Buffer.from(s, 'utf8').toString('latin1')
  if (bytes.includes('\x00')) bytes = bytes.replaceAll('\x00', '\x00\xff')
  return '\x05' + bytes + '\x00\x01'
}

function encodeOther (key: unknown, depth: number): string {
  switch (typeof key) {
    case 'string': return encodeStringKey(key)
    case 'boolean': return key ? '\x03' : '\x02'
    case 'number': return encodeNumber(key)
    case 'object':
      if (key === null) return '\x01'
      if (Array.isArray(key)) {
        if (depth > MAX_DEPTH) throw new KeyError(`key nests arrays more than ${MAX_DEPTH} deep (or holds itself)`)
        let out = '\x06'
        for (let i = 0; i < key.length; i++) out += encodeOther(key[i], depth + 1)
        return out + '\x00'
      }
      throw new KeyError(`a key must be a string, number, boolean, null or array; got ${describeType(key)}`)
    default:
      throw new KeyError(`a key must be a string, number, boolean, null or array; got ${describeType(key)}`)
  }
}

function encodeNumber (n: number): string {
  if (!Number.isFinite(n)) throw new KeyError(`a number key must be finite; got ${n}`)
  f64[0] = n === 0 ? 0 : n
  const b = littleEndian ? f64bytes.slice().reverse() : f64bytes.slice()
  if (b[0]! & 0x80) for (let i = 0; i < 8; i++) b[i] = ~b[i]! & 0xff
  else b[0] = b[0]! ^ 0x80
  return String.fromCharCode(TAG_NUMBER, b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!)
}

function describeType (v: unknown): string {
  if (v === undefined) return 'undefined'
  if (typeof v === 'object') return v === null ? 'null' : `an object (${Object.prototype.toString.call(v).slice(8, -1)})`
  if (typeof v === 'bigint') return `a bigint (${v}n); use a number or a string`
  return `a ${typeof v}`
}

/** Decodes an ekey back to the key the job emitted (with -0 as 0). */
export function decodeKey (ekey: string): Key {
  const state = { pos: 0 }
  const key = decodeAt(ekey, state)
  if (state.pos !== ekey.length) throw new Error('trailing bytes in encoded key')
  return key
}

function decodeAt (s: string, st: { pos: number }): Key {
  const tag = s.charCodeAt(st.pos++)
  switch (tag) {
    case TAG_NULL: return null
    case TAG_FALSE: return false
    case TAG_TRUE: return true
    case TAG_NUMBER: {
      const b = new Uint8Array(8)
      for (let i = 0; i < 8; i++) b[i] = s.charCodeAt(st.pos + i)
      st.pos += 8
      if (b[0]! & 0x80) b[0] = b[0]! ^ 0x80
      else for (let i = 0; i < 8; i++) b[i] = ~b[i]! & 0xff
      if (littleEndian) b.reverse()
      f64bytes.set(b)
      return f64[0]!
    }
    case TAG_STRING: {
      const end = s.indexOf('\x00\x01', st.pos)
      // An escaped NUL is 00 FF, so the first 00 01 is the terminator.
      let bytes = s.slice(st.pos, end)
      st.pos = end + 2
      if (bytes.includes('\x00\xff')) bytes = bytes.replaceAll('\x00\xff', '\x00')
      return ASCII_NO_NUL.test(bytes) ? bytes : Buffer.from(bytes, 'latin1').toString('utf8')
    }
    case TAG_ARRAY: {
      const out: Key[] = []
      while (s.charCodeAt(st.pos) !== 0) out.push(decodeAt(s, st))
      st.pos++
      return out
    }
    default: throw new Error(`bad key tag ${tag}`)
  }
}

/** True if an ekey is a plain string key (its decoded form is its bytes as UTF-8). */
export function isStringEkey (ekey: string): boolean {
  return ekey.charCodeAt(0) === TAG_STRING
}

/** Stable 32-bit FNV-1a hash of an ekey, for partitioning (the same on every machine and run). */
export function hashEkey (ekey: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < ekey.length; i++) {
    h ^= ekey.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** A short human form of a key for messages. */
export function showKey (key: unknown): string {
  try {
    // (a long key is cut before it is quoted: a key may be as long as a line)
    const s = typeof key === 'string' ? JSON.stringify(key.length > 100 ? key.slice(0, 100) : key) : JSON.stringify(key) ?? String(key)
    return s.length > 80 ? s.slice(0, 77) + '...' : s
  } catch { return String(key) }
}

// ---- groups (a job's `groupBy`) -----------------------------------------------------------
//
// With `groupBy = n`, keys are arrays of at least n elements and reduce is called once per
// group of keys that share their first n elements, its values in full-key order. The encoded
// n elements after the array's tag are a byte prefix of every member's ekey, and no ekey of
// another group falls between two members (element encodings are prefix-free), so a group is
// a run of consecutive keys of the sort, and the ekey prefix up to the end of its n-th element
// sorts before every member: the place to cut key ranges.

/**
 * Where the element at `at` of an ekey ends (elements encode prefix-free); -1 if it goes on
 * past the ekey's end (a run's index key, cut short: run-format.ts).
 */
function elementEnd (ekey: string, at: number): number {
  if (at >= ekey.length) return -1
  switch (ekey.charCodeAt(at)) {
    case TAG_NULL: case TAG_FALSE: case TAG_TRUE: return at + 1
    case TAG_NUMBER: return at + 9 <= ekey.length ? at + 9 : -1
    case TAG_STRING: {
      const end = ekey.indexOf('\x00\x01', at + 1)
      return end === -1 ? -1 : end + 2
    }
    case TAG_ARRAY: {
      let i = at + 1
      while (i !== -1 && i < ekey.length && ekey.charCodeAt(i) !== 0) i = elementEnd(ekey, i)
      return i === -1 || i >= ekey.length ? -1 : i + 1
    }
    default: throw new Error(`bad key tag ${ekey.charCodeAt(at)}`)
  }
}

/**
 * The length of an ekey's group prefix: its tag and first n elements; -1 unless an array of n
 * or more, or when the ekey is cut short of them.
 */
export function groupEnd (ekey: string, n: number): number {
  if (ekey.charCodeAt(0) !== TAG_ARRAY) return -1
  let at = 1
  for (let i = 0; i < n; i++) {
    if (ekey.charCodeAt(at) === 0) return -1 // the array's end
    at = elementEnd(ekey, at)
    if (at === -1) return -1
  }
  return at
}

/** The ekey of the group key reduce receives, from a member's group prefix: its first element (n = 1), else the array of n. */
export function groupEkey (prefix: string, n: number): string {
  return n === 1 ? prefix.slice(1) : prefix + '\x00'
}

/** The group key reduce receives for a member key (checked by checkGroupKey). */
export function groupKeyOf (key: Key[], n: number): Key {
  return n === 1 ? key[0]! : key.slice(0, n)
}

/** Refuses a key that cannot be grouped by its first n elements. */
export function checkGroupKey (key: unknown, n: number): void {
  if (Array.isArray(key) && key.length >= n) return
  throw new KeyError(`with groupBy = ${n}, a key must be an array of at least ${n} element${n === 1 ? '' : 's'} (the group, then what orders its values, e.g. [user, time]); got ${showKey(key)}`)
}
