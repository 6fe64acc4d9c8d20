// The sort buffer: pairs grouped by key in memory, accounted in bytes against a budget; when
// full, sorted by key and spilled as a run. Grouping by key in a hash table keeps each key's
// values in emit order, and only distinct keys get sorted. With a combiner, a key's values
// are combined in place once they pile up (in-mapper combining), so a count over few distinct
// keys never spills because of its values. When a buffer's keys turn out to repeat a few times
// each at most, the next buffer appends its string pairs unindexed instead, and the stable sort
// at spill groups them. String keys are kept as UTF-8 bytes in one arena (key-arena.ts), indexed
// by key-index.ts; keys of other types are encoded (keys.ts) in a Map.
//
// Layout (measured: an Entry object and a values array per key cost 12 s of GC in 45 s on a
// 1.3M-key sum): a string key's index in the arena is its value's index in `values`, and only
// a key with several values gets a `Multi`. A stored value is the job's primitive as is, or, for an object, a
// Buffer with its packed bytes (a snapshot: later mutation by the job cannot change it), so a
// Buffer among stored values is always a packed value and a Multi is never a stored value. Under
// the built-in sum, a key's exact sum may be a Partials (sum.ts), written out as sum's term.
// Without a combiner, a key's value that comes again and again (a count's 1) is kept once, with
// how many more times it came (`repeats`); a key's values while they are all numbers are kept
// in a NumberLog (number-log.ts), outside the heap, its slot LOGGED.
//
// A Multi and LOGGED are in multi.ts, short arrays of numbers in tuples.ts, the values that
// pend under a job's combine (a count's 1s, counted a key) in pending.ts, the spill in
// spill.ts; whether to append or index in append-or-index.ts, pairs held for a large index in
// held-pairs.ts, a combine's result kept in place in combined.ts, keys of other types in
// other-keys.ts. What stays here is adding pairs, in one class: its hot path (add, addFound,
// combining in place) reads the buffer's fields directly.
import { LateEmitError } from '../errors.js'
import type { RunInfo } from '../runs/run-format.js'
import { KeyArena } from './key-arena.js'
import { KeyIndex } from './key-index.js'
import { NumberLog } from './number-log.js'
import { sum, type Context, type ReduceFn } from '../job/job.js'
import { Partials, exactAdd, sumCombine } from '../job/sum.js'
import { TUPLE, Tuples } from './tuples.js'
import { CombineError, callCombine, collectInto } from './combine.js'
import { PendingValues } from './pending.js'
import { keepCombined, untuple } from './combined.js'
import { addOtherKey } from './other-keys.js'
import { COMBINE_AT, LOGGED, MULTI_BYTES, Multi, combineMulti } from './multi.js'
import { spill, type Buffered, type Other, type SpillCounters } from './spill.js'
import { SLOT_BYTES, isFlat, isPairable, sizeOf, store } from './stored-values.js'
import { HOLD_KEYS, HeldPairs } from './held-pairs.js'
import { ARENA_PAIR_BYTES, STRING_KEY_BYTES, SWITCH_PAIRS, appendsNext, willRepeat } from './append-or-index.js'

// repeats of a key's value (see SortBuffer.repeats): the keys counted to start with, and the most
const MIN_REPEATS = 1 << 12
const MAX_REPEATS = 2 ** 30
// the key arena's and the number log's sizes: the budget (their pages are only resident once
// written), up to this (more grows them by copying)
const ARENA_BYTES = 256 << 20
// combines of a key made at once before its pairs of pendValue pend: a settle costs a few
// (the key as a string, a call over one-pass values), and most keys of a word count come a
// few times only
const EAGER = 8
// keys whose values may pend: the first ones a buffer met (a word count's most frequent), whose
// pending counts stay in the cache; for a key past them, reading its count too would be a
// cache miss of its own beside its value's
const PEND_KEYS = 1 << 16
const NONE: readonly unknown[] = []
const NO_REPEATS = new Int32Array(0)

/** Whether a key's stored value can have values pending (see SortBuffer.settle). */
function pendable (v: unknown): boolean {
  return v === TUPLE || isPairable(v)
}

/**
 * The last finished sort buffer's key arena and index. A worker's map tasks run one after
 * another, and the next task's sort buffer takes them: their pages are resident already, where
 * new ones would double them until a collection freed the old.
 */
let spare: { arena: KeyArena, index: KeyIndex, log: NumberLog, limit: number } | undefined

export class SortBuffer {
  bytes = 0
  private finished = false
  private readonly arena: KeyArena
  private readonly index: KeyIndex
  /** Without a combiner, the values of string keys with several numbers (their `values` slot LOGGED). */
  private readonly log: NumberLog
  /** String key i's stored value (a Multi for several). */
  private readonly values: unknown[] = []
  /**
   * Without a combiner, how many more times string key i got its stored value, a primitive,
   * again and again (a count's 1): held as a number, not as values. Zero past a key's first
   * other value, and at each spill.
   */
  private repeats = new Int32Array(MIN_REPEATS)
  /** With a combiner, string keys' values that are short arrays of numbers (slot TUPLE). */
  private readonly tuples = new Tuples()
  // Appending: string pairs kept in emit order, unindexed, for buffers of keys that repeat a
  // few times each at most, where an index finds little to combine; the sort at spill groups them.
  private appending: boolean
  /** String pairs added since the last spill (to see how many share a key). */
  private stringPairs = 0
  /** When appendsNow next asks willRepeat. */
  private checkAt = SWITCH_PAIRS
  private others = new Map<string, Other>()
  private readonly budget: number
  /** The key arena's most bytes (a spare arena fits a sort buffer of the same limit). */
  private readonly limit: number
  private readonly combine: ReduceFn | undefined
  private readonly ctx: Context
  private readonly nextRunPath: () => string
  private readonly runs: RunInfo[] = []
  private readonly counters: SpillCounters
  private readonly emitted: Array<[unknown, unknown]> = []
  // Appended keys from sharedFrom on (Infinity: none) all have the value `shared`, a primitive
  // (sort lines' ''), and values[] is not written for them: the spill reads no value a key,
  // one of its three loads scattered over memory. `mixed`: an appended key of this buffer had
  // another value.
  private shared: unknown = undefined
  private sharedFrom = Infinity
  private mixed = false
  private readonly collectEmit = collectInto(this.emitted)
  /** Pairs held until the map call returns (held-pairs.ts). */
  private readonly held = new HeldPairs()
  /**
   * With the job's own combine, the value whose pairs pend (pending.ts): the first value of
   * the buffer's first key that came with a non-zero integer (integers add up the same in any
   * grouping); NaN for none. Then repeats[i] is 0 before key i's first combine in the buffer,
   * then how many combines it had, up to EAGER, then EAGER + its pending pairs.
   */
  private pendValue = NaN
  /** Whether pairs may pend: the combine is the job's own (the built-in sums add in place). */
  private readonly pends: boolean

  constructor (opts: { budget: number, combine?: ReduceFn | undefined, ctx: Context, nextRunPath: () => string, counters: SpillCounters, append?: boolean }) {
    this.appending = opts.append ?? false
    this.budget = opts.budget
    this.combine = opts.combine
    this.pends = opts.combine !== undefined && opts.combine !== sum && opts.combine !== sumCombine
    this.ctx = opts.ctx
    this.nextRunPath = opts.nextRunPath
    this.counters = opts.counters
    const limit = this.limit = opts.budget + (1 << 16)
    if (spare !== undefined && spare.limit === limit) {
      this.arena = spare.arena
      this.index = spare.index
      this.log = spare.log
    } else {
      this.arena = new KeyArena(Math.min(limit, ARENA_BYTES), limit)
      this.index = new KeyIndex(this.arena)
      this.log = new NumberLog(Math.ceil(Math.min(limit, ARENA_BYTES) / 8))
    }
    spare = undefined
  }

  /** Adds one pair; throws KeyError/ValueError (the caller names the record). */
  add (key: unknown, value: unknown): void {
    // its arena and index may be the next task's now (a job's callback that emits late)
    if (this.finished) throw new LateEmitError('emit was called after its map task ended')
    if (typeof key !== 'string') {
      const v = store(value)
      return this.addOther(key, v, sizeOf(v))
    }
    this.stringPairs++
    if (!this.appendsNow()) {
      if (this.combine !== undefined && typeof value === 'number' && this.index.size >= HOLD_KEYS && this.hold(key, value)) return
      this.room(key)
      // (find stages the key in the arena only if it is new)
      return this.addFound(key, this.index.find(key), value)
    }
    this.room(key)
    this.append(this.arena.stage(key), value)
  }

  /** Makes room for `key` in the arena (see roomFor). */
  private room (key: string): void {
    if (this.arena.full(key.length)) this.roomFor(Buffer.byteLength(key, 'utf8'))
  }

  /** Holds the pair (held-pairs.ts) if its key packs (ASCII, 64 characters at most); false if not. */
  private hold (key: string, value: number): boolean {
    const held = this.held
    if (!this.index.packAny(key, held.packed, held.n)) return false
    if (held.hold(key, value)) this.flush()
    return true
  }

  /**
   * Adds the pairs held (held-pairs.ts), after loading their index slots (and a long key's
   * bytes) together. Pairs wait until the map call returns (or HOLD of them); if a combine
   * fails, the pairs after the one it refused stay held.
   */
  flush (): void {
    const held = this.held
    const n = held.n
    if (n === 0) return
    held.n = 0
    const packed = held.packed
    this.index.touch(packed, n)
    let j = 0
    try {
      for (; j < n; j++) {
        const key = held.keys[j]!
        this.room(key)
        if (this.appending) this.append(this.arena.stage(key), held.values[j])
        else this.addFound(key, this.index.findPacked(key, packed, j), held.values[j])
      }
    } catch (e) {
      held.n = n
      held.keepAfter(j)
      throw e
    }
  }

  /**
   * Before a key of `bytes` that does not fit the arena as it is: a spill, if the arena holds
   * keys and would go past its limit, so that a long key grows an empty arena (not a copy of
   * the keys before it) and spills alone.
   */
  private roomFor (bytes: number): void {
    if (this.arena.size > 0 && this.arena.over(bytes)) this.spill()
  }

  /**
   * As `add`, for a string key whose UTF-8 bytes are src[start, end): a record the map emitted
   * as its key, copied from the input rather than encoded again (map.ts).
   */
  addBytes (key: string, src: DataView, start: number, end: number, value: unknown): void {
    if (this.finished) throw new LateEmitError('emit was called after its map task ended')
    this.stringPairs++
    if (!this.arena.fits(end - start)) this.roomFor(end - start)
    this.addStaged(key, this.arena.stageBytes(src, start, end), value)
  }

  /** A string key, staged in the arena (`len` bytes), with its value. */
  private addStaged (key: string, len: number, value: unknown): void {
    if (this.appendsNow()) return this.append(len, value)
    this.addFound(key, this.index.findStaged(len), value)
  }

  /** Whether the next string pair is appended, not indexed. */
  private appendsNow (): boolean {
    if (this.appending) return true
    if (this.stringPairs === this.checkAt) {
      // A worker's first buffer indexes its keys; if they will repeat few times each, its
      // other buffers append, and this one can start now rather than at its spill (faster, and
      // less peak RSS). The keys indexed so far stay; the spill groups them with equal appended ones.
      this.checkAt *= 4
      // (held pairs are not looked up yet)
      if (!willRepeat(this.stringPairs - this.held.n, this.arena.size, this.bytes, this.budget)) this.appending = true
    }
    return this.appending
  }

  /**
   * A string key the index found at `i`, or missed (-1: the key is staged), with its value.
   * One function, longer than most: it is every pair's path, one dispatch on the combine and
   * the key's stored value, each fast case (a tuple, sum, a repeated value, a number without a
   * combine, a number combined) returning as soon as it is done, the general case last.
   */
  private addFound (key: string, i: number, value: unknown): void {
    if (i === -1) return this.insert(value)
    if (value === this.pendValue && i < PEND_KEYS) {
      const repeats = this.repeats
      const n = i < repeats.length ? repeats[i]! : 0
      if (n >= EAGER && n !== MAX_REPEATS) {
        repeats[i] = n + 1
        return
      }
      return this.pendFirst(key, i, value as number)
    }
    // (pendValue is NaN while nothing pends)
    if (i < this.repeats.length && this.repeats[i] !== 0 && !Number.isNaN(this.pendValue)) {
      const n = this.repeats[i]!
      if (n > EAGER) return this.settle(key, i, [value], true)
      return this.addThenPend(key, i, value, n)
    }
    this.addNow(key, i, value)
  }

  /**
   * A value equal to pendValue for key i that does not pend yet: the key's first EAGER
   * combines in this buffer are made at once, at their records (a combine that fails on the
   * key names it; and keys that come a few times never pay for a settle); or its pending
   * count is full.
   */
  private pendFirst (key: string, i: number, value: number): void {
    if (i >= this.repeats.length) this.growRepeats(i)
    const n = this.repeats[i]!
    if (n === MAX_REPEATS) return this.settle(key, i, [value], true)
    this.addThenPend(key, i, value, n + 1)
  }

  /**
   * addNow for key i, which has nothing pending; then repeats[i] is `combined` (capped at
   * EAGER), if its value is one that settle can take (repeats[i] is not 0 only for such a value).
   */
  private addThenPend (key: string, i: number, value: unknown, combined: number): void {
    this.repeats[i] = 0
    this.addNow(key, i, value)
    // (unless the buffer spilled)
    if (i < this.arena.size && pendable(this.values[i])) this.repeats[i] = Math.min(combined, EAGER)
  }

  /**
   * Combines key i's stored value, `more` values and its pending ones (repeats[i] - EAGER
   * times pendValue) in one combine call; with `full`, spills if the buffer is full then.
   */
  private settle (key: string, i: number, more: readonly unknown[], full: boolean): void {
    const n = this.repeats[i]! - EAGER
    this.repeats[i] = 0
    const values = this.values
    const cur = values[i] === TUPLE ? this.tuples.get(i) : values[i]
    const emitted = this.emitted
    if (emitted.length !== 0) emitted.length = 0
    const r = callCombine(this.combine!, key, new PendingValues(cur, more, this.pendValue, n), this.collectEmit, this.ctx)
    if (typeof r === 'number' && typeof cur === 'number' && emitted.length === 0) values[i] = r // (a count's)
    else this.bytes += keepCombined(values, this.tuples, emitted, i, key, cur, r)
    if (pendable(values[i])) this.repeats[i] = EAGER
    if (full && this.bytes >= this.budget) this.spill()
  }

  /** Combines every key's pending values, for a spill (which reads no pending counts). */
  private settleAll (): void {
    if (Number.isNaN(this.pendValue)) return
    const repeats = this.repeats
    const n = Math.min(this.arena.size, repeats.length)
    try {
      for (let i = 0; i < n; i++) {
        if (repeats[i]! > EAGER) this.settle(this.arena.key(i), i, NONE, false)
        repeats[i] = 0
      }
    } catch (e) {
      if (e instanceof CombineError) e.inSpill = true
      throw e
    }
    this.pendValue = NaN
  }

  /** addFound's general case: key i's stored value and `value`, combined now or kept. */
  private addNow (key: string, i: number, value: unknown): void {
    const values = this.values
    let cur = values[i]
    const combine = this.combine
    if (cur === TUPLE) {
      if ((combine === sum || combine === sumCombine) && this.tuples.add(i, value, combine === sumCombine)) return
      const a = this.tuples.get(i)
      // a flat array is combined below, and `keepCombined` keeps a result that fits in `tuples`;
      // with a value of another kind, the key's values go on as stored values
      if (!(Array.isArray(value) && isFlat(value))) this.bytes += untuple(values, this.tuples, i, a)
      cur = a
    }
    if (combine === sum && typeof cur === 'number' && typeof value === 'number') {
      values[i] = 0 + cur + value // what sum returns for two numbers: it starts from 0 (so -0 + -0 is 0)
      return
    }
    if (combine === sumCombine && typeof value === 'number' && this.addExact(i, cur, value)) return
    if (combine === undefined && Object.is(cur, value) && (typeof cur !== 'object' || cur === null)) {
      if (i >= this.repeats.length) this.growRepeats(i)
      const n = this.repeats[i]!
      if (n === MAX_REPEATS) { // (a count that an Int32 holds: the key goes out, and starts again)
        this.spill()
        return this.add(key, value)
      }
      this.repeats[i] = n + 1
      return
    }
    if (combine === undefined && this.repeats.length > i && this.repeats[i] !== 0) cur = values[i] = this.unrepeat(i, cur)
    if (combine === undefined && typeof value === 'number' && !Number.isNaN(value)) { // (NaN: stored as is)
      if (cur === LOGGED) {
        this.bytes += this.log.add(i, value)
        if (this.bytes >= this.budget) this.spill()
        return
      }
      if (typeof cur === 'number' && !Number.isNaN(cur)) {
        values[i] = LOGGED
        this.bytes += this.log.start(i, cur, value)
        if (this.bytes >= this.budget) this.spill()
        return
      }
    }
    if (cur === LOGGED) cur = values[i] = this.unlog(i)
    if (combine !== undefined && typeof cur === 'number' && typeof value === 'number') {
      // the common case (counts, sums) in short: number in, number out, same size
      const emitted = this.emitted
      if (emitted.length !== 0) emitted.length = 0
      const r = callCombine(combine, key, [cur, value], this.collectEmit, this.ctx)
      if (typeof r === 'number' && emitted.length === 0) {
        values[i] = r
        return
      }
      this.bytes += keepCombined(values, this.tuples, emitted, i, key, cur, r)
    } else if (combine !== undefined && isPairable(cur) && isPairable(value) && (!Array.isArray(value) || isFlat(value))) {
      // combined with the value as the job emitted it: no copy first (it would be garbage at once)
      this.combinePair(i, key, cur, value)
    } else {
      const v = store(value)
      const size = sizeOf(v)
      if (cur instanceof Multi) {
        cur.values.push(v)
        cur.bytes += size
        this.bytes += size
        if (combine !== undefined && cur.values.length >= cur.combineAt) this.bytes += combineMulti(combine, key, cur, this.ctx)
      } else {
        values[i] = new Multi([cur, v], sizeOf(cur) + size, COMBINE_AT)
        this.bytes += MULTI_BYTES + size
      }
    }
    if (this.bytes >= this.budget) this.spill()
  }

  private growRepeats (i: number): void {
    const grown = new Int32Array(Math.max(2 * this.repeats.length, i + 1))
    grown.set(this.repeats)
    this.repeats = grown
  }

  /**
   * Key i's value `cur` and its repeats as values of their own, for another value to join
   * them: numbers in the log, others in a Multi.
   */
  private unrepeat (i: number, cur: unknown): unknown {
    const n = this.repeats[i]!
    this.repeats[i] = 0
    if (typeof cur === 'number' && !Number.isNaN(cur)) {
      this.bytes += this.log.start(i, cur, cur)
      for (let c = 1; c < n; c++) this.bytes += this.log.add(i, cur)
      return LOGGED
    }
    this.bytes += MULTI_BYTES + n * sizeOf(cur)
    return new Multi(Array.from({ length: n + 1 }, () => cur), (n + 1) * sizeOf(cur), COMBINE_AT)
  }

  /** Key i's logged numbers as a Multi, for a value of another kind to join them. */
  private unlog (i: number): Multi {
    const numbers = this.log.values(i)
    // (the log's blocks stay counted until the spill)
    this.bytes += MULTI_BYTES + numbers.length * SLOT_BYTES
    return new Multi(numbers, numbers.length * SLOT_BYTES, COMBINE_AT)
  }

  /** A new string key (the one the index just missed) with its first value. */
  private insert (value: unknown): void {
    const keyBytes = this.arena.staged
    if (Number.isNaN(this.pendValue) && this.pends && typeof value === 'number' && value !== 0 && Number.isSafeInteger(value)) this.pendValue = value
    if (this.combine !== undefined && this.tuples.fits(value)) {
      const i = this.index.insert()
      this.setValue(i, TUPLE)
      this.tuples.set(i, value as number[])
      this.bytes += STRING_KEY_BYTES + keyBytes + this.tuples.bytes
    } else {
      const v = store(value)
      const size = sizeOf(v)
      this.setValue(this.index.insert(), v === undefined ? new Multi([v], size, COMBINE_AT) : v)
      this.bytes += STRING_KEY_BYTES + keyBytes + size
    }
    if (this.bytes >= this.budget) this.spill()
  }

  /**
   * sumCombine of key i's stored value and the number `value`, in place: one number while it
   * holds the sum exactly (integers do), else Partials (sum.ts); false for sumCombine itself to
   * take or refuse.
   */
  private addExact (i: number, cur: unknown, value: number): boolean {
    if (cur instanceof Partials) return cur.add(value)
    if (typeof cur !== 'number') return false
    const s = exactAdd(0 + cur, value)
    if (!Number.isNaN(s)) { this.values[i] = s; return true }
    const p = new Partials()
    if (!p.add(cur) || !p.add(value)) return false
    this.values[i] = p
    this.bytes += sizeOf(p) - sizeOf(cur)
    return true
  }

  /** Key i's stored value (a tuple as an array; an appended key's shared value). */
  private stored (i: number): unknown {
    if (i >= this.sharedFrom) return this.shared
    const v = this.values[i]
    return v === TUPLE ? this.tuples.get(i) : v
  }

  /** Appends the staged key (`keyBytes` long) with its value. */
  private append (keyBytes: number, value: unknown): void {
    const v = store(value)
    const size = sizeOf(v)
    const i = this.arena.commit()
    if (this.mixed || !this.share(i, v)) this.setValue(i, v)
    this.bytes += ARENA_PAIR_BYTES + keyBytes + size
    if (this.bytes >= this.budget) this.spill()
  }

  /**
   * Whether appended key i's value is the one every appended key of this buffer has so far,
   * left unwritten (the first appended primitive starts this); a key with another value writes
   * the shared one out for those before it, and ends the sharing.
   */
  private share (i: number, v: unknown): boolean {
    if (this.sharedFrom === Infinity) {
      if (!(typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null)) {
        this.mixed = true
        return false
      }
      this.shared = v
      this.sharedFrom = i
      return true
    }
    if (Object.is(v, this.shared)) return true // (not ===: -0 and 0 stay apart)
    for (let k = this.sharedFrom; k < i; k++) this.setValue(k, this.shared)
    this.sharedFrom = Infinity
    this.mixed = true
    return false
  }

  /** The values array keeps its length from buffer to buffer: regrowing it each time was slower. */
  private setValue (i: number, v: unknown): void {
    if (i < this.values.length) this.values[i] = v
    else this.values.push(v)
  }

  /** A pair whose key is not a string, its value stored (other-keys.ts). */
  private addOther (key: unknown, v: unknown, size: number): void {
    this.bytes += addOtherKey(this.others, key, v, size, this.combine, this.ctx)
    if (this.bytes >= this.budget) this.spill()
  }

  /** Whether the next buffer would append (a worker's next task starts the way this one ended). */
  get appends (): boolean { return this.appending }

  get empty (): boolean { return this.arena.size === 0 && this.others.size === 0 }

  /** Sorts what is buffered by key and writes it as one run (spill.ts). */
  spill (): void {
    if (this.empty) return
    this.settleAll()
    const { run, distinct } = spill(this.contents(), this.nextRunPath(), this.counters)
    this.runs.push(run)
    const arena = this.arena
    this.values.fill(undefined, 0, Math.min(arena.size, this.sharedFrom))
    this.repeats.fill(0, 0, Math.min(arena.size, this.sharedFrom, this.repeats.length))
    this.shared = undefined
    this.sharedFrom = Infinity
    this.mixed = false
    arena.clear()
    this.log.clear()
    this.others.clear()
    this.bytes = 0
    // index or append the next buffer, from how many pairs shared a key in this one
    this.appending = appendsNext(this.appending, this.stringPairs, distinct)
    if (this.appending) this.index.release()
    else this.index.clear()
    this.stringPairs = 0
    this.checkAt = SWITCH_PAIRS
  }

  /** What a spill reads of this buffer. */
  private contents (): Buffered {
    return {
      arena: this.arena,
      log: this.log,
      values: this.values,
      // (with a combine, no key has repeats: settleAll combined the pending ones)
      repeats: this.combine === undefined ? this.repeats : NO_REPEATS,
      shared: this.shared,
      sharedFrom: this.sharedFrom,
      appending: this.appending,
      stored: i => this.stored(i),
      others: this.others,
      combine: this.combine,
      ctx: this.ctx,
    }
  }

  /** Spills what is left and hands over every run this sort buffer wrote. */
  finish (): RunInfo[] {
    this.flush()
    this.spill()
    this.values.length = 0
    this.index.clear()
    this.finished = true
    spare = { arena: this.arena, index: this.index, log: this.log, limit: this.limit }
    return this.runs.splice(0)
  }

  /**
   * Combines a key's one stored value with a new one right away, keeping one value and no
   * Multi: measured 260 ns a pair against 430 ns for batching values 32 at a time (word count);
   * for [count, bytes] pairs, batched arrays lived long enough to be promoted, and collecting
   * them was a fifth of a log job's time. A combine that emits, or
   * returns something other than one primitive or short flat array, gets a Multi instead.
   */
  private combinePair (index: number, key: string, cur: unknown, v: unknown): void {
    const emitted = this.emitted
    if (emitted.length !== 0) emitted.length = 0 // setting length is a runtime call: 1 s in 60 when unconditional
    this.bytes += keepCombined(this.values, this.tuples, emitted, index, key, cur, callCombine(this.combine!, key, [cur, v], this.collectEmit, this.ctx))
  }
}
