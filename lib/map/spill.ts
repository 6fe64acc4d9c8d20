// A spill: what the sort buffer holds, written in key order as one run. String keys sort as
// their UTF-8 bytes (sortArena); encoded keys of other types are latin1 strings, so the default
// sort is byte order for them, and their type tag puts null, booleans and numbers before
// strings, arrays after.
import type { Context, ReduceFn } from '../job/job.js'
import { CombineError, callCombine, collectInto, combineOutput } from './combine.js'
import { store } from './stored-values.js'
import { Partials } from '../job/sum.js'
import type { RunInfo } from '../runs/run-format.js'
import { RunWriter } from '../runs/run-writer.js'
import { TOUCH, sameRange, touchKeys, type KeyArena } from './key-arena.js'
import { COMBINE_AT, LOGGED, Multi, combineMulti } from './multi.js'
import type { NumberLog } from './number-log.js'
import { sortKeys, type WholeKeys } from './radix-sort.js'
import { utf8Slice } from '../codec/bytes.js'

export interface SpillCounters { spills: number, spilledBytes: number, spilledPairs: number }

/** A key of another type than string in the sort buffer: its key decoded, and its values. */
export interface Other { key: unknown, slot: Multi }

/** What a spill reads of the sort buffer (see SortBuffer for each). */
export interface Buffered {
  arena: KeyArena
  log: NumberLog
  /** String key i's value slot, read only to load it ahead (see touch). */
  values: unknown[]
  /** How many more times string key i has its one stored value (see SortBuffer.repeats; past its length: none). */
  repeats: Int32Array
  /** Appended keys from sharedFrom on (Infinity: none) all have the value `shared`. */
  shared: unknown
  sharedFrom: number
  /** Whether the buffer appended string pairs: equal keys are then apart in the arena. */
  appending: boolean
  /** String key i's stored value: a value, a Multi, or LOGGED. */
  stored: (i: number) => unknown
  /** Keys of other types, by their encoding. */
  others: Map<string, Other>
  combine: ReduceFn | undefined
  ctx: Context
}

/** Writes what `b` holds as one run at `path`; returns it and how many distinct string keys it had. */
export function spill (b: Buffered, path: string, counters: SpillCounters): { run: RunInfo, distinct: number } {
  const { order, whole } = sortKeys(b.arena)
  const others = [...b.others.keys()].sort()
  const firstArray = others.findIndex(k => k >= '\x06')
  const w = new Spill(b, new RunWriter(path, 'spill'), counters)
  try {
    const end = firstArray === -1 ? others.length : firstArray
    for (let i = 0; i < end; i++) w.writeGroup(others[i]!, b.others.get(others[i]!)!.key, b.others.get(others[i]!)!.slot)
    const distinct = w.writeStrings(order, whole)
    for (let i = end; i < others.length; i++) w.writeGroup(others[i]!, b.others.get(others[i]!)!.key, b.others.get(others[i]!)!.slot)
    const run = w.writer.close()
    counters.spills++
    counters.spilledBytes += run.bytes
    return { run, distinct }
  } catch (err) {
    w.writer.abort()
    if (err instanceof CombineError) err.inSpill = true
    throw err
  }
}

class Spill {
  /** What `touch` read, kept so that its loads are not optimized away. */
  private touchedValues = 0
  /** What a combine call emitted (combineNumbers). */
  private readonly emitted: Array<[unknown, unknown]> = []
  private readonly collectEmit = collectInto(this.emitted)

  constructor (private readonly b: Buffered, readonly writer: RunWriter, private readonly counters: SpillCounters) {}

  /**
   * The string keys' groups in key order (an appended key's equal keys in emit order: the
   * sort is stable); returns how many distinct keys. A key with one value is copied from the
   * arena as bytes (or from the sorted prefixes, when they hold every key whole); others
   * become strings again, for the combiner and writeGroup.
   */
  writeStrings (order: Uint32Array, whole: WholeKeys | undefined): number {
    const b = this.b
    // (with a combiner, equal keys' values are combined in writeGroup first)
    if (b.sharedFrom === 0 && b.combine === undefined) {
      const framed = this.writer.framed(b.shared)
      if (framed !== undefined) return this.writeShared(order, framed)
    }
    if (whole !== undefined) return this.writeWhole(order, whole)
    const arena = b.arena
    const bytes = arena.bytes
    const ends = arena.ends
    const appending = b.appending
    let distinct = 0
    let touchedTo = 0
    for (let i = 0; i < order.length; distinct++) {
      if (i >= touchedTo) touchedTo = this.touch(order, i, true)
      const k = order[i]!
      const s = arena.start(k)
      const e = ends[k]!
      const j = appending ? this.groupEnd(order, i, s, e) : i + 1
      this.writeKeyGroup(order, i, j, bytes, s, e)
      i = j
    }
    return distinct
  }

  /** writeStrings when the sorted prefixes hold every key whole: the arena is not read. */
  private writeWhole (order: Uint32Array, whole: WholeKeys): number {
    const appending = this.b.appending
    const bytes = whole.bytes
    let distinct = 0
    let touchedTo = 0
    for (let i = 0; i < order.length; distinct++) {
      if (i >= touchedTo) touchedTo = this.touch(order, i, false)
      let j = i + 1
      if (appending) while (j < order.length && whole.same(i, j)) j++
      this.writeKeyGroup(order, i, j, bytes, 0, whole.write(i))
      i = j
    }
    return distinct
  }

  /** The group of the equal keys order[i, j), whose bytes are bytes[s, e). */
  private writeKeyGroup (order: Uint32Array, i: number, j: number, bytes: Buffer, s: number, e: number): void {
    const b = this.b
    const v = b.stored(order[i]!)
    if (b.combine === undefined || (j - i === 1 && !(v instanceof Multi))) return this.writeApart(order, i, j, bytes, s, e, v)
    if (j - i === 1) return this.writeGroup(undefined, utf8Slice(bytes, s, e), v)
    const group: unknown[] = []
    let numbers = true
    for (let g = i; g < j; g++) {
      const x = b.stored(order[g]!)
      // a key indexed before the buffer turned to appending has its values in a Multi
      if (x instanceof Multi) for (const y of x.values) group.push(y)
      else if (x === LOGGED) for (const y of b.log.values(order[g]!)) group.push(y)
      else for (let r = this.repeats(order[g]!); r >= 0; r--) group.push(x)
      numbers &&= typeof x === 'number'
    }
    if (numbers) this.combineNumbers(group as number[], bytes, s, e)
    else this.writeGroup(undefined, utf8Slice(bytes, s, e), new Multi(group, 0, COMBINE_AT))
  }

  /**
   * The group of the equal keys order[i, j), whose bytes are bytes[s, e), as stored (no
   * combine on it: the job has none, or the group is one key with one value): each key's values
   * written where they lie, in emit order, not gathered into one array first. `first` is
   * order[i]'s stored value. A hot key indexed before its buffer turned to appending has its
   * values logged: as an array they took 8-16 bytes a value beside the log's 8, past the memory
   * bound (2 workers peaked at 561 MB on a 1 GiB hot key at --memory 256MB, where the bound is
   * 456 MB).
   */
  private writeApart (order: Uint32Array, i: number, j: number, bytes: Buffer, s: number, e: number, first: unknown): void {
    const b = this.b
    let n = this.valueCount(order[i]!, first)
    for (let g = i + 1; g < j; g++) n += this.valueCount(order[g]!, b.stored(order[g]!))
    this.writer.startBytesGroup(bytes, s, e, n)
    this.writeValues(order[i]!, first)
    for (let g = i + 1; g < j; g++) this.writeValues(order[g]!, b.stored(order[g]!))
    this.counters.spilledPairs += n
  }

  /** How many values string key k has, whose stored value is x. */
  private valueCount (k: number, x: unknown): number {
    return x === LOGGED ? this.b.log.count(k) : x instanceof Multi ? x.values.length : 1 + this.repeats(k)
  }

  /** String key k's values, whose stored value is x, into the run. */
  private writeValues (k: number, x: unknown): void {
    const writer = this.writer
    if (x === LOGGED) this.b.log.write(k, writer)
    else if (x instanceof Multi) for (const y of x.values) writeStored(writer, y)
    else {
      const r = this.repeats(k)
      if (r === 0) writeStored(writer, x)
      else writer.repeated(x, r + 1)
    }
  }

  /** How many more times string key k has its one stored value (see Buffered.repeats). */
  private repeats (k: number): number {
    const repeats = this.b.repeats
    return k < repeats.length ? repeats[k]! : 0
  }

  /**
   * An appended key's numbers (a sum's, a count's), combined and written as the group of the
   * key bytes[s, e): the common case of writeGroup, without a Multi, a copy of the values and
   * a string key to encode again.
   */
  private combineNumbers (group: number[], bytes: Buffer, s: number, e: number): void {
    const key = utf8Slice(bytes, s, e)
    const emitted = this.emitted
    if (emitted.length !== 0) emitted.length = 0
    const r = callCombine(this.b.combine!, key, group, this.collectEmit, this.b.ctx)
    const out = typeof r === 'number' && emitted.length === 0 ? undefined : combineOutput(key, undefined, r, emitted)
    this.writer.startBytesGroup(bytes, s, e, out === undefined ? 1 : out.length)
    if (out === undefined) this.writer.value(r)
    else for (const v of out) writeStored(this.writer, store(v))
    this.counters.spilledPairs += out === undefined ? 1 : out.length
  }

  /**
   * writeStrings when every key was appended with one value, `framed` as a run holds it (sort
   * lines' ''), and there is no combiner: a group is its key's bytes and the value once a
   * pair, with no value looked up.
   */
  private writeShared (order: Uint32Array, framed: Uint8Array): number {
    const arena = this.b.arena
    let distinct = 0
    let touchedTo = 0
    for (let i = 0; i < order.length; distinct++) {
      if (i >= touchedTo) { // (no values to load: touchKeys, not touch)
        touchedTo = Math.min(order.length, i + TOUCH)
        touchKeys(arena, order, i, touchedTo)
      }
      const s = arena.start(order[i]!)
      const e = arena.ends[order[i]!]!
      const j = this.groupEnd(order, i, s, e)
      this.writer.sharedGroup(arena.bytes, s, e, j - i, framed)
      i = j
    }
    this.counters.spilledPairs += order.length
    return distinct
  }

  /** Where the keys equal to order[i]'s, arena bytes [s, e), end in `order` (sorted: they are neighbours). */
  private groupEnd (order: Uint32Array, i: number, s: number, e: number): number {
    const arena = this.b.arena
    let j = i + 1
    while (j < order.length && sameRange(arena.bytes, s, e, arena.start(order[j]!), arena.ends[order[j]!]!)) j++
    return j
  }

  /** Loads the next keys' values (and, if `keys`, the keys: see touchKeys) ahead of use; returns where they end. */
  private touch (order: Uint32Array, from: number, keys: boolean): number {
    const to = Math.min(order.length, from + TOUCH)
    if (keys) touchKeys(this.b.arena, order, from, to)
    const values = this.b.values
    let n = 0
    const shared = this.b.sharedFrom
    for (let i = from; i < to; i++) if (order[i]! < shared && values[order[i]!] === undefined) n++
    this.touchedValues = n
    return to
  }

  /** One key's group; `ekey` undefined means the key is a string (written without encoding). */
  writeGroup (ekey: string | undefined, key: unknown, slot: unknown): void {
    const writer = this.writer
    if (!(slot instanceof Multi)) {
      if (ekey === undefined) writer.startStringGroup(key as string, 1)
      else writer.startGroup(ekey, 1)
      writeStored(writer, slot)
      this.counters.spilledPairs++
      return
    }
    if (this.b.combine !== undefined && slot.values.length > 1) combineMulti(this.b.combine, key, slot, this.b.ctx)
    if (ekey === undefined) writer.startStringGroup(key as string, slot.values.length)
    else writer.startGroup(ekey, slot.values.length)
    for (const v of slot.values) writeStored(writer, v)
    this.counters.spilledPairs += slot.values.length
  }
}

function writeStored (writer: RunWriter, v: unknown): void {
  if (Buffer.isBuffer(v)) writer.valueBytes(v)
  else if (v instanceof Partials) writer.value(v.term())
  else writer.value(v)
}
