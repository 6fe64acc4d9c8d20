// The numbers of the sort buffer's keys that have several values and no combiner, kept outside
// the JS heap. Held as arrays, a key's values were pushed one by one into arrays that grew by
// copying, lived until the spill (so were promoted and marked by every old-generation
// collection) and were read back one element at a time: a word count without a combiner spent
// more in that than in its map. Here a key's numbers lie in blocks of one Float64Array, the
// blocks of a key doubling in size, so a key's values are few runs of consecutive slots.
//
// Layout: a block of `cap` slots at `o` holds values in [o, o + cap) and, once full, the next
// block's offset in slot o + cap. A key's first block has FIRST slots; each later one as many
// as the key has values so far, up to MAX_BLOCK (so a key's blocks follow from its count).
// Per key i, meta[4i..4i+3] = [first block, next free slot, end of the last block, count].
import type { RunWriter } from '../runs/run-writer.js'

const FIRST = 4
const MAX_BLOCK = 1024
const MIN_SLOTS = 1 << 16
const MIN_KEYS = 1 << 12

export class NumberLog {
  private pool: Float64Array | undefined
  private meta = new Int32Array(4 * MIN_KEYS)
  /** Slots handed out to blocks. */
  private used = 0

  /** `slots`: the pool's size (its pages are only resident once written), allocated at first use. */
  constructor (private readonly slots: number) {}

  /** Starts key i's values with `a` and `b`; returns the bytes it takes. */
  start (i: number, a: number, b: number): number {
    if (4 * i + 4 > this.meta.length) {
      const grown = new Int32Array(Math.max(2 * this.meta.length, 4 * i + 4))
      grown.set(this.meta)
      this.meta = grown
    }
    const o = this.block(FIRST)
    const pool = this.pool!
    pool[o] = a
    pool[o + 1] = b
    const m = this.meta
    m[4 * i] = o
    m[4 * i + 1] = o + 2
    m[4 * i + 2] = o + FIRST
    m[4 * i + 3] = 2
    return 8 * (FIRST + 1)
  }

  /** Adds `v` to key i's values (started); returns the bytes it takes (a new block's, or 0). */
  add (i: number, v: number): number {
    const m = this.meta
    const at = m[4 * i + 1]!
    const end = m[4 * i + 2]!
    const n = m[4 * i + 3]!
    m[4 * i + 3] = n + 1
    if (at < end) {
      this.pool![at] = v
      m[4 * i + 1] = at + 1
      return 0
    }
    const cap = Math.min(MAX_BLOCK, n)
    const o = this.block(cap)
    const pool = this.pool!
    pool[end] = o
    pool[o] = v
    m[4 * i + 1] = o + 1
    m[4 * i + 2] = o + cap
    return 8 * (cap + 1)
  }

  /** How many values key i has. */
  count (i: number): number {
    return this.meta[4 * i + 3]!
  }

  /** Writes key i's values in the order added. */
  write (i: number, writer: RunWriter): void {
    this.each(i, (pool, from, to) => writer.numbers(pool, from, to))
  }

  /** Key i's values, in the order added, as an array. */
  values (i: number): number[] {
    const out: number[] = []
    this.each(i, (pool, from, to) => { for (let j = from; j < to; j++) out.push(pool[j]!) })
    return out
  }

  /** Forgets every key's values (the pool stays, for the next buffer). */
  clear (): void {
    this.used = 0
  }

  /** Calls `run` on each block's values of key i, in order. */
  private each (i: number, run: (pool: Float64Array, from: number, to: number) => void): void {
    const pool = this.pool!
    let left = this.meta[4 * i + 3]!
    let o = this.meta[4 * i]!
    let cap = FIRST
    let seen = 0
    for (;;) {
      const n = Math.min(left, cap)
      run(pool, o, o + n)
      left -= n
      seen += n
      if (left === 0) return
      o = pool[o + cap]!
      cap = Math.min(MAX_BLOCK, seen)
    }
  }

  /** A new block of `cap` slots and its link slot; returns its offset. */
  private block (cap: number): number {
    const o = this.used
    this.used += cap + 1
    if (this.pool === undefined || this.used > this.pool.length) {
      // (the sort buffer spills before its budget: this grows only a pool made smaller than
      // the budget, as the sort buffer makes one for a budget over 256 MB)
      const grown = new Float64Array(Math.max(MIN_SLOTS, this.slots, 2 * this.used))
      if (this.pool !== undefined) grown.set(this.pool.subarray(0, o))
      this.pool = grown
    }
    return o
  }
}
