// The combiner: the job's combine run on one key's values, in the sort buffer and in merges;
// and what a combine call may not do, refused alike there and by `mrstream combine`.
import { KeyError, encodeKey, showKey } from '../codec/keys.js'
import { ValueError } from '../codec/values.js'
import { LateEmitError, describeUserError } from '../errors.js'
import type { Context, Emit, ReduceFn } from '../job/job.js'
import { misusedSince, misuseCount, onePassHint } from '../reduce/mistakes.js'

export class CombineError extends Error {
  /** Thrown while a spill combined a key's values: no one record's pair was being added. */
  inSpill = false
}

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
 * Why a combine call for `key` that returned `ret` (and emitted, or not) is refused, if it is:
 * it read its one-pass values as an array (values[0] or values.length gave undefined, since
 * `misused`: what it made of them would be written on, silently wrong); or it returned nothing
 * and emitted nothing (the engine calls combine zero or more times, so dropping a key's values
 * there would make the output depend on --memory and --workers).
 */
export function refusedCombine (key: unknown, ret: unknown, emitted: boolean, misused: number): string | undefined {
  const read = misusedSince(misused)
  if (read !== undefined) return `combine for key ${showKey(key)}: ${onePassHint(read)}`
  if (ret === undefined && !emitted) return `combine for key ${showKey(key)} returned nothing and emitted nothing; a combine must return (or emit) the combined value: is a \`return\` missing?`
  return undefined
}

/** Whether a combine's result is a promise: combiners must be synchronous (asyncCombine says so). */
export function isPromise (ret: unknown): boolean {
  return ret !== null && typeof ret === 'object' && typeof (ret as Promise<unknown>).then === 'function'
}

export function asyncCombine (key: unknown): string {
  return `combine for key ${showKey(key)} returned a promise; combiners must be synchronous`
}

export function otherKey (key: unknown, other: unknown): string {
  return `combine for key ${showKey(key)} emitted another key ${showKey(other)}; a combiner must keep its key`
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
    const refused = refusedCombine(key, ret, emits !== before, misused)
    if (refused !== undefined) throw new CombineError(refused)
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
  if (isPromise(ret)) throw new CombineError(asyncCombine(key))
  const out: unknown[] = []
  for (const [k, v] of emitted) {
    if (k !== key && encodeKeySafe(k) !== (ekey ?? encodeKeySafe(key))) throw new CombineError(otherKey(key, k))
    out.push(v)
  }
  if (ret !== undefined) out.push(ret)
  return out
}

function encodeKeySafe (k: unknown): string | undefined {
  try { return encodeKey(k) } catch { return undefined }
}
