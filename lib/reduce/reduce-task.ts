// A reduce task: merge the runs over one key range [lo, hi), call the job's reduce once per
// key with its values streamed from the runs, and write output lines to this task's fragment
// files (one per output partition). Fragments of consecutive ranges concatenate into one
// sorted output.
import { utf8Slice, viewOf } from '../codec/bytes.js'
import { LateEmitError, MrstreamError, overBadRecordLimit, type BadRecord } from '../errors.js'
import { encodeKey, hashEkey, showKey } from '../codec/keys.js'
import { formatPair, type OutputFormat } from '../output/format.js'
import { Merger } from '../runs/merge.js'
import type { RunReader } from '../runs/run-reader.js'
import { isIdentity, jobError, type Context, type Emit, type Job, type ReduceFn } from '../job/job.js'
import { tick } from '../exec/heartbeat.js'
import { StagedLines } from './staged.js'
import { GroupByValues } from './groups.js'
import { Fragment, copyUnescaped } from './fragment.js'
import { misusedSince, misuseCount, newNotes, takeMisuse, type ReduceNotes } from './mistakes.js'

export interface ReduceSpec {
  runs: string[]
  lo: string | null
  hi: string | null
  /** One fragment file per output partition. */
  fragments: string[]
  format: OutputFormat
  bufferBytes: number
}

export interface ReduceCounters { keys: number, written: number, badRecords: number }

// keys this long at most are copied by the identity reducer's fast path (longer: decoded)
const COPY_KEY_BYTES = 64 << 10
// output buffered per reduce task, shared by its partitions' fragments (64KB each at least)
const FRAGMENT_BUFFERS = 8 << 20

export interface ReduceTaskOptions { maxBadRecords: number, badSoFar: number }
export interface ReduceTaskResult { counters: ReduceCounters, bad: BadRecord[], notes: ReduceNotes }

export async function reduceTask (job: Job, spec: ReduceSpec, ctx: Context, opts: ReduceTaskOptions): Promise<ReduceTaskResult> {
  const reduce = job.reduce
  if (reduce === undefined || reduce === null) throw new Error('a map-only job has no reduce tasks')
  return await new ReduceTask(job, reduce, spec, opts).run(ctx)
}

/**
 * One reduce task's state: its merge, its fragments, the key being reduced and its counts. run()
 * goes key by key: copyGroup for the identity reducer's strings, else reduceKey, a call of the
 * job's reduce; write() formats and routes each line.
 */
class ReduceTask {
  readonly counters: ReduceCounters = { keys: 0, written: 0, badRecords: 0 }
  readonly notes = newNotes()
  readonly bad: BadRecord[] = []
  private readonly fragments: Fragment[]
  /** The number of fragments (output partitions). */
  private readonly n: number
  private readonly merger: Merger
  /** With --max-bad-records, a key's lines wait until its reduce returned (a failed key writes none). */
  private readonly staged: boolean
  private readonly tsv: boolean
  private readonly lines: StagedLines
  private readonly writeLine = (p: number, line: string): void => { this.fragments[p]!.write(line) }
  /** The key being reduced (undefined while copyGroup has not decoded it). */
  private key: unknown
  // with groupBy, the group being reduced, and where all its call writes goes (a group stays whole)
  private group: GroupByValues | undefined
  private groupPart = 0
  // Each reduce call gets an emit of its own, that works only while the call runs: an emit from
  // a callback the reduce did not await fails the job, rather than land among a later key's
  // lines (see map-task.ts). `live` is the running call's number (0: none).
  private calls = 0
  private live = 0
  private emits = 0
  // The identity reducer's lines are copied from the runs where key and value are strings with
  // nothing to escape; it cannot fail, so nothing is staged (no decoding of the key, Values
  // iterator, job's call or encoding the line again, for each line).
  private readonly copy: boolean
  private readonly keyBytes: Buffer
  private readonly keyView: DataView
  // The reader holding the bytes of the key being reduced (a string key: 05, UTF-8, 00 01), and
  // where they end; valid while the reader's `moves` is keyMoves. A line of that key and a
  // number is then written with the key's bytes copied (Fragment.copyKeyNumber).
  private keyReader: RunReader | undefined
  private keyMoves = 0
  private keyTo = -1

  constructor (private readonly job: Job, private readonly reduce: ReduceFn, private readonly spec: ReduceSpec, private readonly opts: ReduceTaskOptions) {
    takeMisuse() // (a merge task's combine may have read some)
    const fragmentBytes = Math.max(64 << 10, Math.min(1 << 20, Math.floor(FRAGMENT_BUFFERS / spec.fragments.length)))
    this.fragments = []
    try {
      for (const p of spec.fragments) this.fragments.push(new Fragment(p, fragmentBytes))
      this.merger = new Merger(spec.runs, { lo: spec.lo, hi: spec.hi, bufferBytes: spec.bufferBytes })
    } catch (e) {
      // a fragment that cannot be opened, a missing or corrupt run: the files opened so far are closed
      for (const f of this.fragments) f.discard()
      throw e
    }
    this.n = this.fragments.length
    this.staged = opts.maxBadRecords > 0
    this.tsv = spec.format === 'tsv'
    this.lines = new StagedLines(() => `${spec.fragments[0]}.staged`, 'reduce')
    this.copy = this.tsv && isIdentity(reduce) && job.partition === undefined && job.groupBy === undefined
    this.keyBytes = Buffer.allocUnsafe(this.copy ? COPY_KEY_BYTES : 0)
    this.keyView = viewOf(this.keyBytes)
  }

  async run (ctx: Context): Promise<ReduceTaskResult> {
    const merger = this.merger
    ctx.file = ''
    ctx.line = 0
    try {
      for (let more = merger.next(); more; more = this.group === undefined ? merger.next() : this.group.skipRest()) {
        this.counters.keys++
        this.keyReader = undefined
        if (this.copy && this.copyGroup()) continue
        const pending = this.reduceKey(ctx) // (no await for a sync reduce: a microtask a key)
        if (pending !== undefined) await pending
      }
      for (const f of this.fragments) f.close()
    } finally {
      for (const f of this.fragments) f.discard() // (a failed task's fragments: closed, not written)
      merger.close()
      this.lines.close()
    }
    this.notes.misuse = takeMisuse()
    return { counters: this.counters, bad: this.bad, notes: this.notes }
  }

  /**
   * The current key's call of the job's reduce; a call that throws is a bad record, up to the
   * limit. A promise only when the reduce returned one.
   */
  private reduceKey (ctx: Context): Promise<void> | undefined {
    const groupBy = this.job.groupBy
    let values: Iterable<unknown>
    if (groupBy === undefined) {
      this.key = this.merger.decodedKey()
      if (this.tsv && !this.staged) {
        const r = this.keyReader = this.merger.member(0)
        this.keyMoves = r.moves
        this.keyTo = r.stringKeyEnd()
      }
      values = this.merger.values()
    } else {
      values = this.group = new GroupByValues(this.merger, groupBy)
      this.key = this.group.key
      this.groupPart = this.route(this.key, this.group.ekey)
    }
    const key = this.key
    const emitted = this.emits
    const misused = misuseCount()
    const call = ++this.calls
    const emit = (k: unknown, v: unknown): void => {
      if (call !== this.live) throw new LateEmitError('emit was called after its reduce call returned')
      this.emits++
      this.write(k, v, this.staged)
    }
    try {
      this.live = call
      const ret = this.reduce(key, values, emit, ctx)
      if (ret !== null && typeof ret === 'object' && typeof (ret as Promise<unknown>).then === 'function') return this.settle(ret as Promise<unknown>, key, emit, emitted, misused)
      this.returned(key, ret, emit, emitted)
    } catch (e) {
      this.failed(e, key, misused)
    }
  }

  private async settle (ret: Promise<unknown>, key: unknown, emit: Emit, emitted: number, misused: number): Promise<void> {
    try {
      this.returned(key, await ret, emit, emitted)
    } catch (e) {
      this.failed(e, key, misused)
    }
  }

  /** A reduce call returned `ret`: written with its key unless undefined; staged lines go out. */
  private returned (key: unknown, ret: unknown, emit: Emit, emitted: number): void {
    if (ret !== undefined) emit(key, ret)
    else if (this.emits === emitted) this.notes.silent++
    this.live = 0
    if (this.staged) this.counters.written += this.lines.commit(this.writeLine)
  }

  /** A reduce call threw `e`: a bad record (its lines dropped), or the job fails. */
  private failed (e: unknown, key: unknown, misused: number): void {
    this.live = 0
    this.lines.discard()
    if (e instanceof MrstreamError) throw e
    // a key or value the engine cannot carry fails the job (MRS_ERR_KEY, MRS_ERR_VALUE), as in map
    const err = jobError(e, 'reduce', `key ${showKey(key)}`, { phase: 'reduce', key }, misusedSince(misused))
    this.counters.badRecords++
    if (err.code !== 'MRS_ERR_REDUCE' || this.opts.badSoFar + this.counters.badRecords > this.opts.maxBadRecords) {
      throw err.code === 'MRS_ERR_REDUCE' ? overBadRecordLimit(err, this.opts.maxBadRecords) : err
    }
    this.bad.push({ file: '', line: 0, phase: 'reduce', error: err.message, record: showKey(key) })
  }

  /** The output partition of a key: the job's partition(), else a hash of its ekey. */
  private route (k: unknown, ekey: string | undefined): number {
    const n = this.n
    if (n === 1) return 0
    if (this.job.partition !== undefined) {
      const p = this.job.partition(k, n)
      if (!Number.isInteger(p) || p < 0 || p >= n) throw new MrstreamError('MRS_ERR_REDUCE', `partition(${showKey(k)}, ${n}) returned ${String(p)}; it must be an integer in [0, ${n})`, { phase: 'reduce', key: k })
      return p
    }
    return hashEkey(ekey ?? encodeKey(k)) % n
  }

  /** A line of the reduce's output, to its partition's fragment, or staged until its call returns. */
  private write (k: unknown, v: unknown, stage: boolean): void {
    const current = k === this.key
    if (!current) encodeKey(k) // refuses unsupported keys
    // (the current key's ekey only for a partition: a string as long as the key)
    const p = this.group !== undefined ? this.groupPart : this.n === 1 ? 0 : this.route(k, current ? this.merger.key : undefined)
    const r = this.keyReader
    if (current && typeof v === 'number' && r !== undefined && this.keyTo !== -1 && r.moves === this.keyMoves && !stage &&
      this.fragments[p]!.copyKeyNumber(r.bytesView, r.keyStart, this.keyTo, v)) {
      this.counters.written++
      return
    }
    if (!stage && this.tsv && typeof k === 'string' && (typeof v === 'string' || typeof v === 'number') && this.fragments[p]!.writeTsv(k, v)) {
      this.counters.written++
      return
    }
    const line = formatPair(this.spec.format, k, v)
    if (stage) this.lines.push(p, line)
    else { this.fragments[p]!.write(line); this.counters.written++ }
  }

  /** The current key's lines, when the key is a string with nothing to escape; else false, having read nothing. */
  private copyGroup (): boolean {
    const merger = this.merger
    const n = this.n
    const r0 = merger.member(0)
    if (merger.size === 1 && r0.left === 1 && r0.nextValueInBuffer()) {
      // one line (sort lines: nearly every key), its key and value in the run's buffer: the key
      // is copied once, straight to the fragment, not to keyBytes first
      const kTo = r0.stringKeyEnd()
      if (kTo !== -1) {
        const f = this.fragments[n === 1 ? 0 : hashEkey(merger.key) % n]!
        const len = r0.nextValueRange() // (in the buffer: the key's bytes stay put)
        if (f.copyLine(r0.bytesView, r0.keyStart, kTo, false, r0, len)) this.counters.written++
        else this.write(this.key = r0.decodedKey(), r0.decodeValue(r0.valueAt, len), false)
        return true
      }
    }
    const klen = r0.copyStringKey(this.keyView, copyUnescaped)
    if (klen < 0) return false
    const f = this.fragments[n === 1 ? 0 : hashEkey(merger.key) % n]!
    this.key = undefined // decoded if a value is not a string to copy
    let values = 0
    for (let i = 0; i < merger.size; i++) {
      const r = merger.member(i)
      while (r.left > 0) {
        if ((++values & 0xffff) === 0) tick() // a hot key can run long
        const len = r.nextValueRange()
        if (f.copyLine(this.keyView, 0, klen, true, r, len)) {
          this.counters.written++
          continue
        }
        this.key ??= utf8Slice(this.keyBytes, 0, klen)
        this.write(this.key, r.decodeValue(r.valueAt, len), false)
      }
    }
    return true
  }
}
