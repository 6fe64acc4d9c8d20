// What a combine of a string key's stored value with one new value returned (and emitted),
// kept in the sort buffer in place of that value: in its tuple, in the stored array itself, as
// one stored value, or, for anything else, as a Multi.
import { combineOutput } from './combine.js'
import { MULTI_BYTES, COMBINE_AT, Multi } from './multi.js'
import { copyString, isFlat, isPairable, sizeOf, store } from './stored-values.js'
import { TUPLE, type Tuples } from './tuples.js'

/**
 * Keeps `r`, what the combine returned for key i (`key`) from its stored value `cur` (its
 * tuple as an array if its slot is TUPLE) and a new one, with what it `emitted`, in place of
 * `cur`; returns how many bytes the buffer grew by.
 */
export function keepCombined (values: unknown[], tuples: Tuples, emitted: Array<[unknown, unknown]>, i: number, key: string, cur: unknown, r: unknown): number {
  let grew = 0
  if (values[i] === TUPLE) {
    if (emitted.length === 0 && tuples.fits(r)) {
      tuples.set(i, r as number[])
      return 0
    }
    grew = untuple(values, tuples, i, cur as number[])
  }
  if (emitted.length === 0 && Array.isArray(r) && Array.isArray(cur) && r.length === cur.length && isFlat(r)) {
    // the stored copy takes the result's elements: no new array, and nothing young for an
    // old array of values to point to ([1, bytes] pairs of a log job, flat keys: 540-750 -> 360-450 ns each)
    for (let j = 0; j < r.length; j++) {
      const old = cur[j]
      const x = r[j]
      if (typeof old === 'string') grew -= 16 + 2 * old.length
      if (typeof x === 'string') {
        grew += 16 + 2 * x.length
        cur[j] = copyString(x)
      } else {
        cur[j] = x
      }
    }
    return grew
  }
  const before = sizeOf(cur)
  if (emitted.length === 0 && (Array.isArray(r) ? isFlat(r) : isPairable(r))) {
    const s = store(r)
    values[i] = s
    return grew + sizeOf(s) - before
  }
  const out = combineOutput(key, undefined, r, emitted).map(store)
  let bytes = 0
  for (const x of out) bytes += sizeOf(x)
  values[i] = new Multi(out, bytes, Math.max(COMBINE_AT, 2 * out.length))
  return grew + MULTI_BYTES + bytes - before
}

/** Key i's value leaves `tuples` for `values`, as the array `a` (its tuple); returns the bytes it grew by. */
export function untuple (values: unknown[], tuples: Tuples, i: number, a: number[]): number {
  values[i] = a
  return sizeOf(a) - tuples.bytes
}
