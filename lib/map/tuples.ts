// With a combiner, string keys' values that are flat arrays of `width` numbers ([count, bytes]
// pairs) kept in one Float64Array, at [width * i, width * (i + 1)) for key i, the key's slot in
// the sort buffer's values TUPLE; `width` is the first such array's length (0: none yet). As a
// JS array, combining into it read the values array, the array and its elements, three
// dependent cache misses for a key out of cache, and wrote into an old object.
import { exactAdd } from '../job/sum.js'
import { SLOT_BYTES, isNumbers } from './stored-values.js'

/** A key's stored value kept in Tuples: a private marker, never a job's value. */
class Tuple {}
export const TUPLE = new Tuple()

// numbers a tuple holds at most
const TUPLE_MAX = 8

export class Tuples {
  private t = new Float64Array(0)
  private width = 0

  /** Whether `v` is an array of `width` numbers (the first such array sets `width`). */
  fits (v: unknown): boolean {
    const n = Array.isArray(v) ? v.length : 0
    if (this.width === 0 ? n === 0 || n > TUPLE_MAX : n !== this.width) return false
    if (!isNumbers(v, n)) return false
    this.width = n
    return true
  }

  /** What a tuple costs, with its key's value slot. */
  get bytes (): number { return SLOT_BYTES + 8 * this.width }

  /** Key i's tuple is `a` (an array that fits). */
  set (i: number, a: number[]): void {
    const w = this.width
    if (w * (i + 1) > this.t.length) {
      // (key indexes count every key, so i may be far past the last tuple's; the pages of
      // indexes with no tuple are never written, so they take no memory: a tuple is budgeted
      // at `bytes` where it is set)
      const grown = new Float64Array(Math.max(1024 * w, 2 * this.t.length, 2 * w * (i + 1)))
      grown.set(this.t)
      this.t = grown
    }
    const t = this.t
    for (let j = 0; j < w; j++) t[w * i + j] = a[j]!
  }

  /** Key i's tuple as a new array. */
  get (i: number): number[] {
    const w = this.width
    const t = this.t
    if (w === 2) return [t[2 * i]!, t[2 * i + 1]!]
    const a = new Array<number>(w)
    for (let j = 0; j < w; j++) a[j] = t[w * i + j]!
    return a
  }

  /**
   * The built-in sum of key i's tuple and `value`, in place, if `value` is an array of `width`
   * numbers (what sum returns: element by element) and, if `exact`, every element's sum is
   * exact; false for sum itself to take or refuse.
   */
  add (i: number, value: unknown, exact: boolean): boolean {
    const w = this.width
    if (!isNumbers(value, w)) return false
    const t = this.t
    if (exact) {
      for (let j = 0; j < w; j++) {
        const s = exactAdd(t[w * i + j]!, value[j]!)
        if (Number.isNaN(s)) return false
      }
    }
    for (let j = 0; j < w; j++) t[w * i + j] = 0 + t[w * i + j]! + value[j]! // (as sum: from 0)
    return true
  }
}
