// The sort buffer's key order: sortArena sorts a KeyArena's keys by their UTF-8 bytes (code
// point order), equal keys in index order, by 64-bit prefixes radix-sorted, then refining the
// groups that tie on their prefix past the bytes they share.
import { TOUCH, touchKeys, type KeyArena } from './key-arena.js'

// bytes after the common prefix that can count in the first pass (as many as fit the bits left)
const WINDOW = 16
// key bytes looked at first for the symbols a prefix packs (see sortKeys)
const FIRST_LOOK = 4
// groups this small are insertion-sorted; larger tie groups are packed again
const SMALL = 12

/**
 * 64-bit sort keys: a prefix above a key's index, in a BigUint64Array sorted as numbers (by
 * radix from 4096 of them, else natively; equal prefixes keep index order, and the index finds
 * the value without a lookup).
 * They are written and read as two 32-bit halves through a Uint32Array view of the same
 * memory (little-endian: low half first), never as BigInts. The prefix takes the bits the
 * index leaves, up to 53 (it is built as a double).
 */
export class Packed {
  private readonly big: BigUint64Array
  private readonly u32: Uint32Array
  private tmp: Uint32Array | undefined // room for the radix sort
  // the layout `use` set: the index's bits, and powers of two (Math.pow is a call)
  private bits = 0
  private indexScale = 1
  private lowScale = 1

  /** n indexes of room for refine. */
  readonly scratch: Uint32Array

  constructor (readonly n: number) {
    this.big = new BigUint64Array(n)
    this.u32 = new Uint32Array(this.big.buffer)
    this.scratch = new Uint32Array(n)
  }

  /** Indexes take `bits` bits from now on, prefixes the rest (up to prefixBits(bits)). */
  use (bits: number): void {
    this.bits = bits
    this.indexScale = 2 ** bits
    this.lowScale = 2 ** (32 - bits) // the prefix's low part shares the low half with the index
  }

  /** Sets element i to prefix * 2^bits + index (prefix < 2^(64 - bits), index < 2^bits). */
  set (i: number, prefix: number, index: number): void {
    const hi = Math.floor(prefix / this.lowScale)
    this.u32[2 * i] = (prefix - hi * this.lowScale) * this.indexScale + index
    this.u32[2 * i + 1] = hi
  }

  index (i: number): number {
    return this.u32[2 * i]! & (this.indexScale - 1)
  }

  prefix (i: number): number {
    return this.u32[2 * i + 1]! * this.lowScale + (this.u32[2 * i]! >>> this.bits)
  }

  samePrefix (i: number, j: number): boolean {
    const u = this.u32
    return u[2 * i + 1] === u[2 * j + 1] && u[2 * i]! >>> this.bits === u[2 * j]! >>> this.bits
  }

  /**
   * Sorts elements [from, to), which must be in index order: the radix sort skips the index's
   * bits (a stable sort by the prefixes alone keeps equal prefixes in index order), two of six
   * passes for a spill of a million keys.
   */
  sort (from: number, to: number): void {
    if (to - from < RADIX_MIN) {
      this.big.subarray(from, to).sort()
      return
    }
    this.tmp ??= new Uint32Array(this.u32.length)
    radixSort(this.u32, from, to, this.tmp, this.bits)
  }
}

// from this many elements, Packed sorts by radix (the native sort below)
const RADIX_MIN = 4096
const DIGIT = 11
const DIGITS = 6 // 66 bits: all 64
const counts = new Int32Array(DIGITS << DIGIT)

// A spill's sort runs once, so V8 compiles it while it runs, from type feedback gathered so far.
// The sort is cut into small functions whose every path has run before they are compiled
// (one loop per pass, tie runs ended inside the loop, insertion sort apart from refine): V8
// had deoptimized and recompiled code reached for the first time, at each pass, up to 260
// times a sort.

/**
 * LSD radix sort of the 64-bit elements [from, to) of `u32` (pairs of 32-bit halves, low
 * first) by their bits above the lowest `skip` (1 to 31), 11 bits a pass, with `tmp` (as long
 * as `u32`) as room; stable, and a pass whose digit is the same for every element is skipped.
 * 2.2M random elements: 80 ms, against 130 ms for the native sort (std::sort) of a BigUint64Array.
 */
function radixSort (u32: Uint32Array, from: number, to: number, tmp: Uint32Array, skip: number): void {
  const n = to - from
  countDigits(u32, from, to, skip)
  // (elements keep their positions' range [from, to) in both arrays)
  let src = u32
  let dst = tmp
  for (let pass = 0; pass < DIGITS; pass++) {
    if (!placeDigits(pass, from, n)) continue
    scatter(src, dst, from, to, pass, skip)
    const t = src
    src = dst
    dst = t
  }
  if (src !== u32) u32.set(src.subarray(2 * from, 2 * to), 2 * from)
}

/**
 * Turns a pass's digit counts into where each digit's elements start; false if every element
 * has the same digit (the pass is skipped).
 */
function placeDigits (pass: number, from: number, n: number): boolean {
  const base = pass << DIGIT
  let sum = 0
  for (let d = 0; d < 1 << DIGIT; d++) {
    const c = counts[base + d]!
    if (c === n) return false
    counts[base + d] = from + sum
    sum += c
  }
  return true
}

/** Each pass's digit counts, of the elements shifted right by `skip` bits (see radixSort). */
function countDigits (u32: Uint32Array, from: number, to: number, skip: number): void {
  counts.fill(0)
  const up = 32 - skip
  for (let i = from; i < to; i++) {
    const lo = (u32[2 * i]! >>> skip) | (u32[2 * i + 1]! << up)
    const hi = u32[2 * i + 1]! >>> skip
    counts[lo & 2047]!++
    counts[2048 + ((lo >>> 11) & 2047)]!++
    counts[4096 + (((lo >>> 22) | (hi << 10)) & 2047)]!++
    counts[6144 + ((hi >>> 1) & 2047)]!++
    counts[8192 + ((hi >>> 12) & 2047)]!++
    counts[10240 + (hi >>> 23)]!++
  }
}

// Each pass's digit as ((lo >>> a) & b) | (((hi >>> c) << d) & e): the same code for every
// pass, so the loop compiled in the first pass serves the others.
const DIGIT_SHIFTS = new Int32Array([
  0, 2047, 0, 0, 0,
  11, 2047, 0, 0, 0,
  22, 1023, 0, 10, 2047,
  0, 0, 1, 0, 2047,
  0, 0, 12, 0, 2047,
  0, 0, 23, 0, 2047,
])

/**
 * Moves src's elements [from, to) to dst by the pass's digit (of the elements shifted right by
 * `skip` bits), at the places `counts` holds for it.
 */
function scatter (src: Uint32Array, dst: Uint32Array, from: number, to: number, pass: number, skip: number): void {
  const base = pass << DIGIT
  const a = DIGIT_SHIFTS[5 * pass]!
  const b = DIGIT_SHIFTS[5 * pass + 1]!
  const c = DIGIT_SHIFTS[5 * pass + 2]!
  const d = DIGIT_SHIFTS[5 * pass + 3]!
  const e = DIGIT_SHIFTS[5 * pass + 4]!
  const up = 32 - skip
  for (let i = from; i < to; i++) {
    const lo = src[2 * i]!
    const hi = src[2 * i + 1]!
    const low = (lo >>> skip) | (hi << up)
    const high = hi >>> skip
    const at = counts[base + (((low >>> a) & b) | (((high >>> c) << d) & e))]!++
    dst[2 * at] = lo
    dst[2 * at + 1] = hi
  }
}

/** How many bits of prefix fit beside an index of `bits` bits (built as a double: at most 53). */
function prefixBits (bits: number): number {
  return Math.min(53, 64 - bits)
}

// The sort's room (Packed, its radix room and refine's scratch, 20 bytes a key), kept from one
// spill to the next, which are alike in size: allocated afresh, its zeroed pages cost page
// faults and the kernel's zeroing at every spill.
let room: Packed | undefined

/**
 * Sorted keys that their prefixes hold whole (see sortKeys): a key's bytes and whether two keys
 * are equal come from the sorted prefixes, read in order, not from the arena, where keys in
 * sorted order lie scattered (a cache miss or two a key). Valid until the next sort.
 */
export class WholeKeys {
  /** The key `write` wrote last, after the bytes all keys share. */
  readonly bytes: Buffer
  private readonly symbols: Uint8Array
  private readonly radix: number

  /** `at`: the bytes all keys share; `chars` symbols of `width` bits a prefix, `rank` a byte's symbol. */
  constructor (private readonly packed: Packed, arena: KeyArena, private readonly at: number, private readonly chars: number,
    rank: Uint16Array, width: number) {
    this.bytes = Buffer.alloc(at + chars)
    arena.bytes.copy(this.bytes, 0, 0, at)
    this.symbols = new Uint8Array(2 ** width)
    for (let c = 0; c < 256; c++) if (rank[c] !== 0) this.symbols[rank[c]!] = c
    this.radix = 2 ** width
  }

  /** Writes the i-th key in sorted order into `bytes`; returns its length. */
  write (i: number): number {
    const out = this.bytes
    const at = this.at
    const radix = this.radix
    let p = this.packed.prefix(i)
    let len = at + this.chars
    const inverse = 1 / radix
    for (let j = this.chars - 1; j >= 0; j--) {
      // (exact for a power of two: `%` on a double, a call to fmod, took most of the spill)
      const q = Math.floor(p * inverse)
      const c = p - q * radix
      p = q
      out[at + j] = this.symbols[c]!
      if (c === 0) len = at + j // (0 is past the key's end: only at its end)
    }
    return len
  }

  /** Whether the i-th and j-th keys in sorted order are equal. */
  same (i: number, j: number): boolean {
    return this.packed.samePrefix(i, j)
  }
}

/** Indexes of the arena's keys in byte order, equal keys in index order (see sortKeys). */
export function sortArena (arena: KeyArena): Uint32Array {
  return sortKeys(arena).order
}

/**
 * The arena's keys in byte order, as their indexes (`order`), equal keys in index order; and
 * `whole` if the sorted prefixes hold every key whole. A numeric sort on
 * fixed-size prefixes, then only the keys whose prefixes tie are looked at again: a key's
 * prefix is its bytes after the prefix all keys share, each as its rank among the bytes that
 * occur there (0 is past the end; hex digits take 5 bits, not 8), as many as fit beside the
 * index in 64 bits (Packed). Measured on JS strings, against `keys.slice().sort()` then a
 * lookup per key: 430k 11-char hex keys 290-530 -> 75-90 ms; 400k text lines 420-440 -> 160-200 ms.
 * 64 bits rather than a double's 53: text lines get 6 characters of prefix instead of 4, so
 * half as many keys tie (a tie is refined from the arena, a cache miss a key), and the native
 * sort of integers is faster: 745k text lines (45 MB) sorted in 365-430 -> 245-326 ms.
 */
export function sortKeys (arena: KeyArena): { order: Uint32Array, whole: WholeKeys | undefined } {
  const n = arena.size
  const order = new Uint32Array(n)
  if (n === 0) return { order, whole: undefined }
  const b = arena.bytes
  const ends = arena.ends
  const bits = Math.max(1, Math.ceil(Math.log2(n)))
  if (bits > 29) throw new RangeError(`too many keys to sort at once: ${n}`)
  // the prefix all keys share
  let at = ends[0]!
  for (let i = 1; i < n && at > 0; i++) {
    const s = ends[i - 1]!
    const m = Math.min(at, ends[i]! - s)
    let j = 0
    while (j < m && b[s + j] === b[j]) j++
    at = j
  }
  // The bytes a prefix packs, and the symbols they take: only the bytes at the positions packed
  // count, and how many positions fit depends on how many symbols there are. So the keys'
  // first bytes are looked at, then more while more fit (text lines: 7 bytes a key, where
  // every byte of the window was 16): the symbols found only grow, the positions that fit only shrink.
  const rank = new Uint16Array(256)
  let longest = 0
  let seen = 0 // positions looked at
  let chars = Math.min(WINDOW, FIRST_LOOK)
  let symbols = 1
  let width = 1
  while (chars > seen) {
    for (let i = 0; i < n; i++) {
      const s = i === 0 ? 0 : ends[i - 1]!
      if (seen === 0) longest = Math.max(longest, ends[i]! - s)
      const end = Math.min(ends[i]!, s + at + chars)
      for (let j = s + at + seen; j < end; j++) rank[b[j]!] = 1
    }
    seen = chars
    symbols = 1
    for (let c = 0; c < 256; c++) if (rank[c] !== 0) symbols++
    width = Math.max(1, Math.ceil(Math.log2(symbols)))
    chars = Math.min(WINDOW, Math.floor(prefixBits(bits) / width))
  }
  symbols = 1
  for (let c = 0; c < 256; c++) if (rank[c] !== 0) rank[c] = symbols++
  const radix = 2 ** width
  if (room === undefined || room.n < n) room = new Packed(n)
  const packed = room
  packed.use(bits)
  for (let i = 0; i < n; i++) {
    const s = (i === 0 ? 0 : ends[i - 1]!) + at
    const len = ends[i]! - s
    let p = 0
    for (let j = 0; j < chars; j++) p = p * radix + (j < len ? rank[b[s + j]!]! : 0)
    packed.set(i, p, i)
  }
  packed.sort(0, n)
  for (let i = 0; i < n; i++) order[i] = packed.index(i)
  // prefixes that hold every key whole (past its end too: 0) tie only on equal keys, which the
  // sort left in index order: nothing to refine (an appended word count's 4M keys had 1.1M
  // tie groups, each read again from the arena, a cache miss a key)
  if (longest <= at + chars) return { order, whole: new WholeKeys(packed, arena, at, chars, rank, width) }
  // tie groups to refine, as (from, to, depth) triples: a stack, not recursion, as keys built
  // to split off one at a time would nest as deep as there are keys
  const work: number[] = []
  pushTies(packed, 0, n, at + chars, work)
  const scratch = packed.scratch
  while (work.length > 0) {
    const depth = work.pop()!
    const to = work.pop()!
    refine(arena, order, work.pop()!, to, depth, packed, scratch, work)
  }
  return { order, whole: undefined }
}

/**
 * Sorts order[from, to), whose keys agree on their bytes before `depth`, keeping index order
 * for equal keys, with packed[from, to) and scratch[from, to) as room: an insertion sort for a
 * few keys; else the bytes they share are skipped, the next ones (9 bits each: 0 past the end)
 * packed with the key's position, sorted, and each tie group pushed on `work` to be refined
 * from there (groups are disjoint, so their room is too). This
 * replaced a comparator sort of each tie group (`TypedArray.sort` calls a comparator slowly).
 */
function refine (arena: KeyArena, order: Uint32Array, from: number, to: number, depth: number, packed: Packed, scratch: Uint32Array, work: number[]): void {
  const n = to - from
  if (n <= SMALL) return insertionSort(arena, order, from, to)
  const b = arena.bytes
  const ends = arena.ends
  const f = arena.start(order[from]!)
  let lcp = ends[order[from]!]! - f - depth
  for (let i = from + 1; i < to && lcp > 0; i++) {
    const s = arena.start(order[i]!)
    const m = Math.min(lcp, ends[order[i]!]! - s - depth)
    let j = 0
    while (j < m && b[s + depth + j] === b[f + depth + j]) j++
    lcp = j
  }
  depth += Math.max(0, lcp)
  const bits = Math.ceil(Math.log2(n))
  const units = Math.floor(prefixBits(bits) / 9)
  packed.use(bits)
  let ended = true
  let whole = true // every key ends within the units packed
  for (let i = 0; i < n; i++) {
    if (i % TOUCH === 0) touchKeys(arena, order, from + i, Math.min(to, from + i + TOUCH))
    const k = order[from + i]!
    const s = arena.start(k) + depth
    const len = ends[k]! - s
    let p = 0
    for (let j = 0; j < units; j++) p = p * 512 + (j < len ? b[s + j]! + 1 : 0)
    if (p !== 0) ended = false
    if (len > units) whole = false
    packed.set(from + i, p, i)
  }
  if (ended) return // every key ends at depth: they are equal, in index order
  scratch.set(order.subarray(from, to), from)
  packed.sort(from, to)
  for (let i = from; i < to; i++) order[i] = scratch[from + packed.index(i)]!
  if (!whole) pushTies(packed, from, to, depth + units, work)
}

/** Sorts order[from, to) by the keys' bytes, keeping index order for equal keys: for a few keys. */
function insertionSort (arena: KeyArena, order: Uint32Array, from: number, to: number): void {
  const b = arena.bytes
  const ends = arena.ends
  touchKeys(arena, order, from, to)
  for (let i = from + 1; i < to; i++) {
    const x = order[i]!
    const xs = arena.start(x)
    const xe = ends[x]!
    let j = i - 1
    while (j >= from && compareRanges(b, arena.start(order[j]!), ends[order[j]!]!, xs, xe) > 0) {
      order[j + 1] = order[j]!
      j--
    }
    order[j + 1] = x
  }
}

/**
 * Pushes (from, to, depth) on `work` for each run of two or more equal prefixes in the sorted
 * packed[from, to), in the layout packed last `use`d. A refine may overwrite packed within its
 * own run only.
 */
function pushTies (packed: Packed, from: number, to: number, depth: number, work: number[]): void {
  // (the last run ends inside the loop too: the code after a loop compiled while it ran had
  // no type feedback, and V8 left that compiled loop for it at every call)
  let start = from
  for (let i = from + 1; i <= to; i++) {
    if (i === to || !packed.samePrefix(i, start)) {
      if (i - start > 1) work.push(start, i, depth)
      start = i
    }
  }
}

/** Byte order of two ranges of `b` (shorter first when one is a prefix of the other). */
function compareRanges (b: Uint8Array, s1: number, e1: number, s2: number, e2: number): number {
  const n = Math.min(e1 - s1, e2 - s2)
  for (let i = 0; i < n; i++) {
    const d = b[s1 + i]! - b[s2 + i]!
    if (d !== 0) return d
  }
  return (e1 - s1) - (e2 - s2)
}
