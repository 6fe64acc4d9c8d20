// The built-in sum, exact: what it returns is the correctly rounded sum of all the values,
// whatever order they come in and however combines grouped them, so a float sum is the same
// bytes for any --workers and --memory (float addition is not associative: 0.1 + 0.2 + 0.3 is
// not 0.1 + (0.2 + 0.3)). A running sum is Shewchuk's non-overlapping partials (as Python's
// math.fsum keeps them), past a float's range a bigint; while every addition is exact (integer
// counts and byte sizes, the common case) it is one number.
//
// The combiner hands the exact sum on as a value the engine carries like any other: a number
// when one number is exact, else [SUM_TAG, ...partials] (or [SUM_TAG, bigint]), which sum
// reads back. A tagged array is no value a job sums (sum adds numbers, or arrays of numbers).
import { showKey } from '../codec/keys.js'
import { ValueError } from '../codec/values.js'

const SUM_TAG = 'mrstream.sum'

// Marks sum, also when a job's import of the package gave it another copy of this module (see
// job.ts's identity).
const SUM = Symbol.for('mrstream.sum')

/** x + y if the addition is exact (TwoSum's error is 0), else NaN. */
export function exactAdd (x: number, y: number): number {
  const s = x + y
  const b = s - x
  return (x - (s - b)) + (y - b) === 0 ? s : NaN
}

/** What a bigint sum counts in: the smallest float, 2^-1074. */
const SCALE = 1074
const f64 = new Float64Array(1)
const bits = new BigUint64Array(f64.buffer)

/** A finite float as an integer count of 2^-1074. */
function scaled (x: number): bigint {
  f64[0] = Math.abs(x)
  const b = bits[0]!
  const exp = Number(b >> 52n)
  const mantissa = b & 0xfffffffffffffn
  const n = exp === 0 ? mantissa : (mantissa | (1n << 52n)) << BigInt(exp - 1)
  return x < 0 ? -n : n
}

/** The float nearest a count of 2^-1074 (ties to even). */
function unscaled (n: bigint): number {
  if (n === 0n) return 0
  const a = n < 0n ? -n : n
  // keep 55 bits, the last one sticky (set if any bit below is): Number() then rounds as the whole would
  const shift = Math.max(0, a.toString(2).length - 55)
  let q = a >> BigInt(shift)
  if (q << BigInt(shift) !== a) q |= 1n
  const r = Number(q) * 2 ** (shift - SCALE)
  return n < 0n ? -r : r
}

// (a float's range holds at most ~40 non-overlapping partials)
const scratch = new Float64Array(64)
const MAX_SAFE = 2 ** 1023

/**
 * An exact sum of finite floats: Shewchuk's non-overlapping partials, by increasing magnitude,
 * none 0 (Python's math.fsum keeps them so), in a Float64Array, so that adding to it in place
 * makes no boxed number. The sort buffer keeps one for a key whose sum one number cannot hold.
 */
export class Partials {
  private p = new Float64Array(4)
  private n = 0

  /** Adds x in place; false, unchanged, for a NaN, an infinity, or a partial past a float's range. */
  add (x: number): boolean {
    if (x === 0) return true
    const n = this.n
    let p = this.p
    // The partials below the top one add up to less than it: while |x| + 2 |top| is under
    // 2^1023 no sum on the way can pass a float's range, and they are rewritten where they are
    // (each new partial at or below the one just read), else through scratch, checked.
    if (!(Math.abs(x) + 2 * Math.abs(n === 0 ? 0 : p[n - 1]!) < MAX_SAFE)) return this.addChecked(x)
    let i = 0
    for (let j = 0; j < n; j++) {
      let y = p[j]!
      if (Math.abs(x) < Math.abs(y)) { const t = x; x = y; y = t }
      const hi = x + y
      const lo = y - (hi - x)
      if (lo !== 0) p[i++] = lo
      x = hi
    }
    if (x !== 0) {
      if (i === p.length) { const more = new Float64Array(2 * i); more.set(p); this.p = p = more }
      p[i++] = x
    }
    this.n = i
    return true
  }

  /** As add, near a float's range or for a NaN or an infinity: the new partials made apart, kept only if all are finite. */
  private addChecked (x: number): boolean {
    if (!Number.isFinite(x)) return false
    const p = this.p
    let n = 0
    for (let j = 0; j < this.n; j++) {
      let y = p[j]!
      if (Math.abs(x) < Math.abs(y)) { const t = x; x = y; y = t }
      const hi = x + y
      if (!Number.isFinite(hi)) return false
      const lo = y - (hi - x)
      if (lo !== 0) scratch[n++] = lo
      x = hi
    }
    if (x !== 0) scratch[n++] = x
    if (n > p.length) this.p = new Float64Array(2 * n)
    for (let j = 0; j < n; j++) this.p[j] = scratch[j]!
    this.n = n
    return true
  }

  clear (): void { this.n = 0 }

  /** The sum in 2^-1074 units. */
  scaled (): bigint {
    let n = 0n
    for (let j = 0; j < this.n; j++) n += scaled(this.p[j]!)
    return n
  }

  /** The correctly rounded sum (as math.fsum rounds its partials). */
  value (): number {
    const p = this.p
    let n = this.n
    if (n === 0) return 0
    let hi = p[--n]!
    let lo = 0
    while (n > 0) {
      const x = hi
      const y = p[--n]!
      hi = x + y
      lo = y - (hi - x)
      if (lo !== 0) break
    }
    // half-even rounding across partials: the part below lo pushes a tie one way
    if (n > 0 && ((lo < 0 && p[n - 1]! < 0) || (lo > 0 && p[n - 1]! > 0))) {
      const y = lo * 2
      const x = hi + y
      if (y === x - hi) hi = x
    }
    return hi
  }

  /** The exact sum as a value to carry: a number when one holds it, else [SUM_TAG, ...partials]. */
  term (): unknown {
    if (this.n <= 1) return this.n === 0 ? 0 : this.p[0]
    const t: unknown[] = [SUM_TAG]
    for (let j = 0; j < this.n; j++) t.push(this.p[j])
    return t
  }
}

/** An exact running sum of any floats: Partials, the infinities and NaNs aside, and a bigint past a float's range. */
class ExactSum {
  private readonly partials = new Partials()
  /** The infinities and NaNs, added (0: none): the sum then is this. */
  private special = 0
  /** The sum in 2^-1074 units, once a partial would have passed a float's range. */
  private big: bigint | undefined

  add (x: number): void {
    if (!Number.isFinite(x)) { this.special += x; return }
    if (this.big !== undefined) { this.big += scaled(x); return }
    if (!this.partials.add(x)) this.addScaled(scaled(x))
  }

  /** Adds a value sum's combiner made: a number, or a tagged array. */
  addTerm (v: unknown): boolean {
    if (typeof v === 'number') { this.add(v); return true }
    if (!Array.isArray(v) || v[0] !== SUM_TAG) return false
    for (let i = 1; i < v.length; i++) {
      const x: unknown = v[i]
      if (typeof x === 'number') this.add(x)
      else if (typeof x === 'bigint') this.addScaled(x)
      else return false
    }
    return true
  }

  private addScaled (n: bigint): void {
    this.big = (this.big ?? this.partials.scaled()) + n
    this.partials.clear()
  }

  /** Empty again (sum and sumCombine reuse one for numbers: a call never runs inside another). */
  clear (): void {
    this.partials.clear()
    this.special = 0
    this.big = undefined
  }

  /** The correctly rounded sum. */
  value (): number {
    if (this.special !== 0) return this.special
    return this.big !== undefined ? unscaled(this.big) : this.partials.value()
  }

  /** The exact sum as a value to carry: a number when one holds it, else a tagged array. */
  term (): unknown {
    if (this.special !== 0) return this.special
    return this.big !== undefined ? [SUM_TAG, this.big] : this.partials.term()
  }
}

const scalar = new ExactSum()

/** The values' exact sum: a number while it is one exactly, else one ExactSum, or one per element for arrays. */
function accumulate (values: Iterable<unknown>): number | ExactSum | ExactSum[] {
  let acc: ExactSum | ExactSum[] | undefined
  let fast = 0 // the sum while every addition was exact, before acc is needed
  let numbers = false
  for (const v of values) {
    if (acc === undefined && typeof v === 'number') {
      numbers = true
      const s = exactAdd(fast, v)
      if (!Number.isNaN(s)) { fast = s; continue } // (NaN: not exact)
    }
    if (acc === undefined) {
      if (Array.isArray(v) && v[0] !== SUM_TAG) {
        if (numbers) throw mixed(v, 0)
        acc = Array.from({ length: v.length }, () => new ExactSum())
      } else {
        acc = scalar
        acc.clear()
        acc.add(fast)
      }
    }
    if (!Array.isArray(acc)) {
      if (!acc.addTerm(v)) throw mixed(v, 0)
      continue
    }
    if (!Array.isArray(v) || v.length !== acc.length || v[0] === SUM_TAG) throw mixed(v, acc.length)
    for (let i = 0; i < v.length; i++) {
      if (!acc[i]!.addTerm(v[i])) throw new TypeError(`sum: ${showKey(v)} has an element that is not a number`)
    }
  }
  return acc ?? fast
}

function mixed (v: unknown, width: number): TypeError {
  return width === 0
    ? new TypeError(`sum: ${showKey(v)} (${Array.isArray(v) ? 'an array' : `a ${typeof v}`}) among numbers; sum adds numbers, or arrays of numbers of one length`)
    : new TypeError(`sum: ${showKey(v)} among arrays of ${width} numbers; sum adds numbers, or arrays of numbers of one length`)
}

/**
 * The sum reducer (Hadoop's LongSumReducer, exact): numbers add up; arrays of numbers of one
 * length add up element by element (a log job's [requests, bytes]). Anything else is an
 * error, not a string concatenated on. The result is the correctly rounded sum (typed any: a
 * job's types take its output from its reduce, and this is a number or an array of numbers).
 */
export function sum (_key: unknown, values: Iterable<number | readonly number[]>): any {
  const acc = accumulate(values)
  if (typeof acc === 'number') return acc
  return Array.isArray(acc) ? acc.map(a => a.value()) : acc.value()
}
Object.defineProperty(sum, SUM, { value: true })

/**
 * sum as the engine combines for it (a job whose reduce and combine are both sum): the exact
 * sum, rounded only by the reduce. With a reduce of the job's own, its combine sum returns
 * rounded numbers, which that reduce can read.
 */
export function sumCombine (_key: unknown, values: Iterable<unknown>): unknown {
  const acc = accumulate(values)
  if (typeof acc === 'number') return acc
  return Array.isArray(acc) ? acc.map(a => a.term()) : acc.term()
}

export function isSum (f: unknown): boolean {
  return typeof f === 'function' && (f as unknown as Record<symbol, unknown>)[SUM] === true
}

/** Whether sum reduces or combines the job's values (sumCombine is what the engine combines with). */
export function sums (job: { reduce?: unknown, combine?: unknown }): boolean {
  return isSum(job.reduce) || isSum(job.combine) || job.combine === sumCombine
}

/**
 * Throws ValueError for a value a map emits in the form of sum's own term: sum would read it
 * as partial sums (["mrstream.sum", 1, 2] as 3), where any other array with a string is refused.
 */
export function checkNotTerm (value: unknown): void {
  if (Array.isArray(value) && value[0] === SUM_TAG) throw new ValueError(`${showKey(value)} has the form of sum's own partial sums (an array starting with "${SUM_TAG}"), which only sum makes; sum adds numbers, or arrays of numbers of one length`)
}
