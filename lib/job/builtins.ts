// The reducers mrstream brings: identity, top(n), and those -r takes by name (count, sum, min,
// max, first, last, list, uniq), each with a combine where one is correct.
import { encodeKey, showKey } from '../codec/keys.js'
import { packValue } from '../codec/values.js'
import { sum, sumCombine } from './sum.js'
import type { Emit, ReduceFn } from './types.js'

// Marks `identity`, also when a job's import of the package gave it another copy of this module
// (tsx loads TypeScript jobs' imports in a namespace of their own).
const IDENTITY = Symbol.for('mrstream.identity')

/**
 * The identity reducer (Hadoop's IdentityReducer): every value is written with its key, in the
 * order reduce would see them. A job whose reduce is this one has its output copied from the
 * runs as bytes where it can (reduce.ts), without calls per value.
 */
export const identity: ReduceFn = Object.assign(function identity (key: unknown, values: Iterable<unknown>, emit: Emit): void {
  for (const v of values) emit(key, v)
}, { [IDENTITY]: true })

export function isIdentity (reduce: ReduceFn): boolean {
  return (reduce as unknown as Record<symbol, unknown>)[IDENTITY] === true
}

/**
 * Top-N per key (Spark's top, a bounded heap per key): the `n` greatest values of each key,
 * ordered as keys are ordered (so `[count, word]` ranks by count, then word), written greatest
 * first, one line each. Keeping the n greatest of any subset is associative and commutative,
 * so `combine` keeps them at every spill and merge: a key, even the one key of a global top-N,
 * reaches reduce with at most n values a run, not one value per record.
 *   export const { combine, reduce } = top(10)
 */
export function top (n: number): { combine: ReduceFn, reduce: ReduceFn } {
  if (!Number.isInteger(n) || n < 1) throw new TypeError(`top(n): n must be a whole number >= 1; got ${String(n)}`)
  const best = (values: Iterable<unknown>): unknown[] => {
    // the kept values, least first: a new value goes in by binary search, the least drops out
    const kept: unknown[] = []
    for (const v of values) {
      if (kept.length === n && order(v, kept[0], 'top') <= 0) continue
      let lo = 0
      let hi = kept.length
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (order(kept[mid], v, 'top') <= 0) lo = mid + 1
        else hi = mid
      }
      kept.splice(lo, 0, v)
      if (kept.length > n) kept.shift()
    }
    return kept
  }
  const emitBest = (key: unknown, values: Iterable<unknown>, emit: Emit): void => {
    const kept = best(values)
    for (let i = kept.length - 1; i >= 0; i--) emit(key, kept[i])
  }
  return { combine: emitBest, reduce: emitBest }
}

function minimum (_k: unknown, vs: Iterable<unknown>): unknown { return fold(vs, (a, b) => (order(b, a, 'min') < 0 ? b : a)) }
function maximum (_k: unknown, vs: Iterable<unknown>): unknown { return fold(vs, (a, b) => (order(b, a, 'max') > 0 ? b : a)) }

// Reducers by name for -r, with a combiner where one is correct.
export const builtins: Record<string, { reduce: ReduceFn, combine?: ReduceFn }> = {
  identity: { reduce: identity },
  count: { reduce: (_k, vs) => { let n = 0; for (const _ of vs) n++; return n } },
  sum: { reduce: sum, combine: sumCombine },
  min: { reduce: minimum, combine: minimum },
  max: { reduce: maximum, combine: maximum },
  // eslint-disable-next-line no-unreachable-loop -- the first value only
  first: { reduce: (_k, vs) => { for (const v of vs) return v } },
  last: { reduce: (_k, vs) => { let last; for (const v of vs) last = v; return last } },
  list: { reduce: (_k, vs) => [...vs] },
  // values are the same when their msgpack is (JSON would throw on a bigint, and make NaN null and every Map {})
  uniq: { reduce: (_k, vs) => { const seen = new Set<string>(); const out = []; for (const v of vs) { const id = packValue(v).toString('latin1'); if (!seen.has(id)) { seen.add(id); out.push(v) } } return out } },
}

/**
 * min and max order values as keys are ordered (docs/semantics.md: numbers numerically, strings by code
 * point, and across types), a total order: with `<`, "10" < "9" and a NaN or a mix of types
 * made the result depend on which values a combine saw together, so on --memory. Values that
 * are not keys (NaN, objects) are refused, naming the value.
 */
function order (a: unknown, b: unknown, name: string): number {
  if (typeof a === 'number' && typeof b === 'number' && !Number.isNaN(a) && !Number.isNaN(b)) return a - b
  // values that are not keys but have an order of their own, among themselves
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0
  if (a instanceof Date && b instanceof Date && !Number.isNaN(a.getTime()) && !Number.isNaN(b.getTime())) return a.getTime() - b.getTime()
  let ea, eb
  try {
    ea = encodeKey(a)
    eb = encodeKey(b)
  } catch {
    const bad = isKey(a) ? b : a
    throw new TypeError(`${name}: ${typeof bad === 'number' ? String(bad) : typeof bad === 'bigint' ? `${bad}n` : showKey(bad)} cannot be ordered among these values; ${name} takes numbers, strings, booleans, null and arrays of them (ordered as keys are), or only bigints, or only dates`)
  }
  return ea < eb ? -1 : ea > eb ? 1 : 0
}

function isKey (v: unknown): boolean {
  try { encodeKey(v); return true } catch { return false }
}

function fold (vs: Iterable<any>, f: (a: any, b: any) => any): unknown {
  let acc: any
  let first = true
  for (const v of vs) { acc = first ? v : f(acc, v); first = false }
  return acc
}

export const builtinReducers = Object.keys(builtins)
