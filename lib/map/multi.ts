// A string key's stored value in the sort buffer when it is more than one value: several values
// (a Multi, also every key of another type), or numbers kept in the buffer's NumberLog (LOGGED);
// and a Multi's values combined in place.
import { unpackValue } from '../codec/values.js'
import type { Context, ReduceFn } from '../job/job.js'
import { Partials } from '../job/sum.js'
import { combineValues } from './combine.js'
import { sizeOf, store } from './stored-values.js'

// values a Multi holds before the combiner runs on them (at least twice what it returned)
export const COMBINE_AT = 32
// a Multi's cost in bytes, with its array (its values counted apart)
export const MULTI_BYTES = 80

export class Multi {
  constructor (public values: unknown[], public bytes: number, public combineAt: number) {}
}

/**
 * A key's stored value when its values are numbers kept in the sort buffer's NumberLog (no
 * combiner, more than one value): a private marker, never a job's value.
 */
class Logged {}
export const LOGGED = new Logged()

/** Combines m's values in place; returns by how many bytes they grew (negative: shrank). */
export function combineMulti (combine: ReduceFn, key: unknown, m: Multi, ctx: Context): number {
  const values = m.values.map(v => (Buffer.isBuffer(v) ? unpackValue(v) : v instanceof Partials ? v.term() : v))
  const out = combineValues(combine, key, undefined, values, ctx)
  let bytes = 0
  // refill the same array: a new one per combine is measurable GC churn on hot keys
  m.values.length = 0
  for (const v of out) {
    const s = store(v)
    m.values.push(s)
    bytes += sizeOf(s)
  }
  const grew = bytes - m.bytes
  m.bytes = bytes
  m.combineAt = Math.max(COMBINE_AT, 2 * out.length)
  return grew
}
