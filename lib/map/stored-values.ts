// What the sort buffer keeps of a value, and what it costs: primitives as they are, flat copies
// of strings and short arrays, anything else packed (a snapshot the job cannot change later).
import { utf8Slice, utf8Write } from '../codec/bytes.js'
import { storedAsIs, packOwned } from '../codec/values.js'
import { Partials } from '../job/sum.js'

// a value's slot in the buffer's values array
export const SLOT_BYTES = 16
// an exact sum's Partials: the object and its Float64Array of 4
const PARTIALS_BYTES = 150

// V8 makes substrings of 13+ chars "sliced strings" that keep their parent alive: copy string
// values so a 20-char value does not keep a whole 1 MB chunk string in memory.
const SLICED_MIN = 13

const scratch = Buffer.allocUnsafe(1 << 16)

// strings from this long are stored packed (see store)
const LONG_STRING = Math.floor(scratch.length / 3)

/**
 * A flat copy of a value string shorter than LONG_STRING. V8 makes substrings of 13+ chars
 * "sliced strings" that keep their parent (a whole 1 MB chunk) alive; and sorting sliced
 * strings was measured 3.5x slower than flat ones (2.1 s against 0.6 s for 700k lines). Short
 * ones are copies already.
 */
export function copyString (s: string): string {
  if (s.length < SLICED_MIN) return s
  return utf8Slice(scratch, 0, utf8Write(scratch, s, 0))
}

/**
 * What the buffer keeps of a value: primitives as they are (a string as a flat copy, a long
 * one packed); a short array of numbers and strings as a copy (pairs like [count, bytes] are
 * common, and packing each one cost more than the rest of collecting it); any other object
 * packed (a Buffer). A long string packed is one copy outside the heap, where a flat copy was
 * two (its bytes, then the string) and a string of two bytes a character.
 */
export function store (value: unknown): unknown {
  if (typeof value === 'number') return value
  if (storedAsIs(value)) return typeof value !== 'string' ? value : value.length < LONG_STRING ? copyString(value) : packOwned(value)
  if (Array.isArray(value) && isFlat(value)) return copyFlat(value)
  return packOwned(value)
}

/** A flat array's copy, its strings flat too (see copyString). */
function copyFlat (a: unknown[]): unknown[] {
  const c = a.slice()
  for (let i = 0; i < c.length; i++) if (typeof c[i] === 'string') c[i] = copyString(c[i] as string)
  return c
}

export function isFlat (a: unknown[]): boolean {
  if (a.length > 16) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i]
    if (typeof x !== 'number' && (typeof x !== 'string' || x.length > 64 || !x.isWellFormed())) return false
  }
  return true
}

/** What a stored value costs the buffer, in bytes. */
export function sizeOf (v: unknown): number {
  if (typeof v === 'number') return SLOT_BYTES // (first: Buffer.isBuffer below is a getter and a call a pair)
  if (typeof v === 'string') return SLOT_BYTES + 16 + v.length * 2
  if (Buffer.isBuffer(v)) return SLOT_BYTES + 96 + v.length
  if (v instanceof Partials) return SLOT_BYTES + PARTIALS_BYTES
  if (Array.isArray(v)) {
    let n = SLOT_BYTES + 32 + 16 * v.length
    for (const x of v) if (typeof x === 'string') n += 16 + 2 * x.length
    return n
  }
  return SLOT_BYTES
}

/** Whether `v` is an array of `n` numbers. */
export function isNumbers (v: unknown, n: number): v is number[] {
  if (!Array.isArray(v) || v.length !== n) return false
  for (let j = 0; j < n; j++) if (typeof v[j] !== 'number') return false
  return true
}

/**
 * A stored value that two-value combining may take: a primitive other than undefined, or a
 * short flat array (stored arrays are always the buffer's own copies, see `store`).
 */
export function isPairable (v: unknown): boolean {
  const t = typeof v
  return t === 'number' || t === 'string' || t === 'boolean' || t === 'bigint' || v === null || Array.isArray(v)
}
