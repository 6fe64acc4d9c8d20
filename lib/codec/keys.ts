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
  if (!s.isWellFormed()) throw new KeyError(`key ${JSON.stringify(s)} has a lone UTF-16 surrogate, which has no UTF-8 form`)
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
    const s = typeof key === 'string' ? JSON.stringify(key) : JSON.stringify(key) ?? String(key)
    return s.length > 80 ? s.slice(0, 77) + '...' : s
  } catch { return String(key) }
}
