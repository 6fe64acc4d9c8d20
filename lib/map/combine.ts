// The combiner: the job's combine run on one key's values, in the sort buffer and in merges.
import { KeyError, encodeKey, showKey } from '../codec/keys.js'
import { ValueError } from '../codec/values.js'
import { LateEmitError, describeUserError } from '../errors.js'
import type { Context, Emit, ReduceFn } from '../job/job.js'
import { misusedSince, misuseCount, onePassHint } from '../reduce/mistakes.js'

export class CombineError extends Error {}

/**
 * Calls the job's combine on one key's values; returns the values it produced. A combine that
 * emits another key would break the sort order of the run it writes into, so it is refused.
 */
export function combineValues (combine: ReduceFn, key: unknown, ekey: string | undefined, values: Iterable<unknown>, ctx: Context): unknown[] {
  const emitted: Array<[unknown, unknown]> = []
  const ret = callCombine(combine, key, values, collectInto(emitted), ctx)
  return combineOutput(key, ekey, ret, emitted)
}

/**
 * What a combine that returned nothing (and emitted nothing) for `key` fails with: the engine
 * calls combine zero or more times, so dropping a key's values there would make the output
 * depend on --memory and --workers.
 */
export function silentCombine (key: unknown): string {
  return `combine for key ${showKey(key)} returned nothing and emitted nothing; a combine must return (or emit) the combined value: is a \`return\` missing?`
}

// Emits by combine calls so far, to tell a combine that gave nothing.
let emits = 0

// The emit of the combine call running now. A combine is synchronous and calls never overlap,
// so an emit works only while the call it was given to runs: one from a callback the combine
// left (a timer), or kept and called from another call, fails the job rather than add a value
// to another call's (or drop it).
let running: Emit | undefined

/** An emit for combine calls that collects pairs into `into`. */
export function collectInto (into: Array<[unknown, unknown]>): Emit {
  const emit: Emit = (k, v) => {
    if (running !== emit) throw new LateEmitError('emit was called after its combine call returned')
    emits++
    into.push([k, v])
  }
  return emit
}

/** The job's combine, with what it throws named as a combine failure for `key`; `emit` is from collectInto. */
export function callCombine (combine: ReduceFn, key: unknown, values: Iterable<unknown>, emit: Emit, ctx: Context): unknown {
  const outer = running
  running = emit
  const before = emits
  const misused = misuseCount()
  try {
    const ret = combine(key, values, emit, ctx)
    // values[0] or values.length on the one-pass values of a merge gave undefined: what combine
    // made of it would be written on, silently wrong
    const read = misusedSince(misused)
    if (read !== undefined) throw new CombineError(`combine for key ${showKey(key)}: ${onePassHint(read)}`)
    if (ret === undefined && emits === before) throw new CombineError(silentCombine(key))
    return ret
  } catch (e) {
    if (e instanceof CombineError || e instanceof KeyError || e instanceof ValueError || e instanceof LateEmitError) throw e
    throw new CombineError(`combine threw for key ${showKey(key)}: ${describeUserError(e)}`)
  } finally {
    running = outer
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
