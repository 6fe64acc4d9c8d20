// The sort buffer: pairs grouped by key in memory, accounted in bytes against a budget; when
// full, sorted by encoded key and spilled as a run (sortAndSpill). Grouping in a Map keeps each
// key's values in emit order without a stable sort, and only distinct keys get sorted.
// With a combiner, a key's values are combined in place once they pile up (in-mapper
// combining), so a count over few distinct keys never spills because of its values.
//
// In the buffer a value is kept as the job gave it when it is a primitive, or packed (a
// Buffer snapshot, so later mutation by the job cannot change it) when it is an object: a
// Buffer in `values` is always a packed value.
import { describeUserError } from './errors.js'
import { KeyError, decodeKey, encodeKey, encodeStringKey, showKey } from './keys.js'
import { RunWriter, type RunInfo } from './run-file.js'
import { ValueError, isPlain, packValue, unpackValue } from './values.js'
import type { Context, ReduceFn } from './job.js'

interface Entry {
  key: unknown
  ekey: string
  values: unknown[]
  bytes: number
  combineAt: number
}

// V8 costs in bytes, measured with heapUsed after gc(): a Map slot, an Entry and its values
// array (~280 with the key header); a value slot.
const ENTRY_BYTES = 280
const SLOT_BYTES = 16
const COMBINE_AT = 32
// V8 makes substrings of 13+ chars "sliced strings" that keep their parent alive: copy keys
// so a 10-char key does not keep a whole 1 MB chunk string in memory.
const SLICED_MIN = 13

export function copyString (s: string): string {
  return s.length < SLICED_MIN ? s : (' ' + s).slice(1)
}

function valueBytes (v: unknown): number {
  if (typeof v === 'string') return SLOT_BYTES + 16 + v.length * 2
  if (Buffer.isBuffer(v)) return SLOT_BYTES + 96 + v.length
  return SLOT_BYTES
}

export interface SpillCounters { spills: number, spilledBytes: number, spilledPairs: number }

export class Collector {
  bytes = 0
  private strings = new Map<string, Entry>()
  private others = new Map<string, Entry>()
  private readonly budget: number
  private readonly combine: ReduceFn | undefined
  private readonly ctx: Context
  private readonly nextRunPath: () => string
  private readonly runs: RunInfo[] = []
  private readonly counters: SpillCounters

  constructor (opts: { budget: number, combine?: ReduceFn | undefined, ctx: Context, nextRunPath: () => string, counters: SpillCounters }) {
    this.budget = opts.budget
    this.combine = opts.combine
    this.ctx = opts.ctx
    this.nextRunPath = opts.nextRunPath
    this.counters = opts.counters
  }

  /** Adds one pair; throws KeyError/ValueError (the caller names the record). */
  add (key: unknown, value: unknown): void {
    let e: Entry | undefined
    if (typeof key === 'string') {
      e = this.strings.get(key)
      if (e === undefined) {
        if (!key.isWellFormed()) encodeStringKey(key) // throws the KeyError
        const k = copyString(key)
        e = { key: k, ekey: '', values: [], bytes: 0, combineAt: COMBINE_AT }
        this.strings.set(k, e)
        this.bytes += ENTRY_BYTES + 2 * k.length
      }
    } else {
      const ekey = encodeKey(key)
      e = this.others.get(ekey)
      if (e === undefined) {
        e = { key: decodeKey(ekey), ekey, values: [], bytes: 0, combineAt: COMBINE_AT }
        this.others.set(ekey, e)
        this.bytes += ENTRY_BYTES + 3 * ekey.length
      }
    }
    let v = value
    let size = SLOT_BYTES
    if (typeof value !== 'number') {
      v = isPlain(value) ? (typeof value === 'string' ? copyString(value) : value) : Buffer.from(packValue(value))
      size = valueBytes(v)
    }
    e.values.push(v)
    e.bytes += size
    this.bytes += size
    if (this.combine !== undefined && e.values.length >= e.combineAt) this.combineEntry(e)
    if (this.bytes >= this.budget) this.spill()
  }

  get empty (): boolean { return this.strings.size === 0 && this.others.size === 0 }

  /** Sorts what is buffered by key and writes it as one run. */
  spill (): void {
    if (this.empty) return
    const entries: Entry[] = []
    for (const e of this.strings.values()) { e.ekey = encodeStringKey(e.key as string); entries.push(e) }
    for (const e of this.others.values()) entries.push(e)
    entries.sort((a, b) => (a.ekey < b.ekey ? -1 : 1)) // ekeys are distinct
    const writer = new RunWriter(this.nextRunPath(), 'spill')
    try {
      for (const e of entries) {
        if (this.combine !== undefined && e.values.length > 1) this.combineEntry(e)
        writer.startGroup(e.ekey, e.values.length)
        for (const v of e.values) {
          if (Buffer.isBuffer(v)) writer.valueBytes(v)
          else writer.value(v)
        }
        this.counters.spilledPairs += e.values.length
      }
      const run = writer.close()
      this.runs.push(run)
      this.counters.spills++
      this.counters.spilledBytes += run.bytes
    } catch (err) {
      writer.abort()
      throw err
    }
    this.strings.clear()
    this.others.clear()
    this.bytes = 0
  }

  /** Spills what is left and hands over every run this collector wrote. */
  finish (): RunInfo[] {
    this.spill()
    return this.runs.splice(0)
  }

  private combineEntry (e: Entry): void {
    const out = combineValues(this.combine!, e.key, e.ekey, e.values.map(v => (Buffer.isBuffer(v) ? unpackValue(v) : v)), this.ctx)
    let bytes = 0
    for (let i = 0; i < out.length; i++) {
      const v = out[i]
      out[i] = isPlain(v) ? v : Buffer.from(packValue(v))
      bytes += valueBytes(out[i])
    }
    this.bytes += bytes - e.bytes
    e.bytes = bytes
    // refill the same array: a new one per combine is measurable GC churn on hot keys
    e.values.length = 0
    for (const v of out) e.values.push(v)
    e.combineAt = Math.max(COMBINE_AT, 2 * out.length)
  }
}

export class CombineError extends Error {}

/**
 * Calls the job's combine on one key's values; returns the values it produced. A combine that
 * emits another key would break the sort order of the run it writes into, so it is refused.
 */
export function combineValues (combine: ReduceFn, key: unknown, ekey: string, values: Iterable<unknown>, ctx: Context): unknown[] {
  const out: unknown[] = []
  let ret: unknown
  try {
    ret = combine(key, values, (k, v) => {
    if (k !== key && encodeKeySafe(k) !== ekey) throw new CombineError(`combine for key ${showKey(key)} emitted another key ${showKey(k)}; a combiner must keep its key`)
    out.push(v)
  }, ctx)
  } catch (e) {
    if (e instanceof CombineError || e instanceof KeyError || e instanceof ValueError) throw e
    throw new CombineError(`combine threw for key ${showKey(key)}: ${describeUserError(e)}`)
  }
  if (ret !== null && typeof ret === 'object' && typeof (ret as Promise<unknown>).then === 'function') {
    throw new CombineError('combine returned a promise; combiners must be synchronous')
  }
  if (ret !== undefined) out.push(ret)
  return out
}

function encodeKeySafe (k: unknown): string | undefined {
  try { return encodeKey(k) } catch { return undefined }
}

export { KeyError, ValueError }
