// The combiner: the job's combine run on one key's values, in the sort buffer and in merges.
import { KeyError, encodeKey, showKey } from '../codec/keys.js'
import { ValueError } from '../codec/values.js'
import { describeUserError } from '../errors.js'
import type { Context, ReduceFn } from '../job/job.js'

export class CombineError extends Error {}

/**
 * Calls the job's combine on one key's values; returns the values it produced. A combine that
 * emits another key would break the sort order of the run it writes into, so it is refused.
 */
export function combineValues (combine: ReduceFn, key: unknown, ekey: string | undefined, values: Iterable<unknown>, ctx: Context): unknown[] {
  const emitted: Array<[unknown, unknown]> = []
  const ret = callCombine(combine, key, values, (k, v) => { emitted.push([k, v]) }, ctx)
  return combineOutput(key, ekey, ret, emitted)
}

/** The job's combine, with what it throws named as a combine failure for `key`. */
export function callCombine (combine: ReduceFn, key: unknown, values: Iterable<unknown>, emit: (k: unknown, v: unknown) => void, ctx: Context): unknown {
  try {
    return combine(key, values, emit, ctx)
  } catch (e) {
    if (e instanceof CombineError || e instanceof KeyError || e instanceof ValueError) throw e
    throw new CombineError(`combine threw for key ${showKey(key)}: ${describeUserError(e)}`)
  }
}

/** A combine's emitted values then its return value, after checking it kept its key and was synchronous. */
export function combineOutput (key: unknown, ekey: string | undefined, ret: unknown, emitted: Array<[unknown, unknown]>): unknown[] {
  if (ret !== null && typeof ret === 'object' && typeof (ret as Promise<unknown>).then === 'function') {
    throw new CombineError('combine returned a promise; combiners must be synchronous')
  }
  const out: unknown[] = []
  for (const [k, v] of emitted) {
    if (k !== key && encodeKeySafe(k) !== (ekey ?? encodeKeySafe(key))) throw new CombineError(`combine for key ${showKey(key)} emitted another key ${showKey(k)}; a combiner must keep its key`)
    out.push(v)
  }
  if (ret !== undefined) out.push(ret)
  return out
}

function encodeKeySafe (k: unknown): string | undefined {
  try { return encodeKey(k) } catch { return undefined }
}
