// A sort buffer's pairs whose key is not a string: each key by its encoding (keys.ts) in a Map,
// its values in a Multi, combined in place once they pile up (with a combiner).
import { decodeKey, encodeKey } from '../codec/keys.js'
import type { Context, ReduceFn } from '../job/job.js'
import { COMBINE_AT, MULTI_BYTES, Multi, combineMulti } from './multi.js'
import type { Other } from './spill.js'

// a Map slot with its key's header, in bytes (measured with heapUsed after gc())
const KEY_BYTES = 100

/** Adds the stored value v (`size` bytes) under `key`; returns how many bytes the buffer grew by. */
export function addOtherKey (others: Map<string, Other>, key: unknown, v: unknown, size: number, combine: ReduceFn | undefined, ctx: Context): number {
  const ekey = encodeKey(key)
  const e = others.get(ekey)
  if (e === undefined) {
    others.set(ekey, { key: decodeKey(ekey), slot: new Multi([v], size, COMBINE_AT) })
    return KEY_BYTES + MULTI_BYTES + 3 * ekey.length + size
  }
  const m = e.slot
  m.values.push(v)
  m.bytes += size
  if (combine !== undefined && m.values.length >= m.combineAt) return size + combineMulti(combine, e.key, m, ctx)
  return size
}
