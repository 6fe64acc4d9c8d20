// A map task: records of its chunks through the job's map into a SortBuffer; each task ends
// with a spill, so its runs are its whole output and a retried task starts from nothing. A
// map-only job's task writes its pairs as output lines instead, in record order, to a file of
// its own (no sort buffer, no runs).
import { SortBuffer } from './sort-buffer.js'
import type { SpillCounters } from './spill.js'
import { CombineError } from './combine.js'
import { LateEmitError, MrstreamError, describeUserError, overBadRecordLimit, type BadRecord } from '../errors.js'
import { KeyError, checkGroupKey, encodeKey } from '../codec/keys.js'
import { lineTooLong } from '../input/lines.js'
import { LARGE_CHUNK, recordsOf, type Chunk, type Format } from '../input/records.js'
import { viewOf } from '../codec/bytes.js'
import type { RunInfo } from '../runs/run-format.js'
import type { LineBase } from '../input/line-base.js'
import { ValueError } from '../codec/values.js'
import { jobError, type Context, type Job } from '../job/job.js'
import { checkNotTerm, sums } from '../job/sum.js'
import { UserCounters } from '../counters.js'
import { tick } from '../exec/heartbeat.js'
import { formatPair, type OutputFormat } from '../output/format.js'
import { LineFile } from '../output/line-file.js'
import { largeGarbage } from '../exec/garbage.js'

export interface MapCounters extends SpillCounters {
  records: number
  bytes: number
  pairs: number
  badRecords: number
  invalidUtf8: number
  /** Output lines (a map-only job's pairs). */
  written: number
}

export interface MapTaskOptions {
  job: Job
  format: Format
  budget: number
  maxBadRecords: number
  /** The longest line a split's chunk may hold (other chunks were checked where they were cut). */
  maxLineBytes?: number
  /** Bad records skipped before this task (the limit is for the whole job). */
  badSoFar: number
  nextRunPath: () => string
  /** Start with an appending sort buffer (the worker's previous task ended with one). */
  append?: boolean
  /** A map-only job: the pairs, formatted, go to this file in record order (no sort buffer). */
  output?: { path: string, format: OutputFormat }
}

// a map-only task's output buffer
const OUTPUT_BUFFER = 1 << 20

/** A map-only task's pairs as output lines, in the order emitted. */
class PairLines {
  private readonly file: LineFile
  constructor (path: string, private readonly format: OutputFormat, private readonly counters: MapCounters) {
    this.file = new LineFile(path, OUTPUT_BUFFER, 'map')
  }

  add (k: unknown, v: unknown): void {
    encodeKey(k) // refuses what is not a key, as the sort buffer does
    this.file.write(formatPair(this.format, k, v))
    this.counters.written++
  }

  flush (): void {}

  finish (): string {
    this.file.close()
    return this.file.path
  }

  /** Closes the file of a task that failed (the engine ignores what it holds). */
  discard (): void {
    this.file.discard()
  }
}

/**
 * The map's context. `line` is read through a getter: a split's records count their lines
 * from 0 at its first, whose number the main thread's count publishes (splits.ts), so the
 * number is made absolute only when the job or an error reads it, waiting for the count if
 * it has not got there yet.
 */
class MapContext implements Context {
  file = ''
  /** The record's line; with `base`, counted from 0 at the split's first line. */
  declare at: number
  declare base: LineBase | undefined
  declare line: number

  constructor (readonly count: (name: string, n?: number) => void) {
    // to the job, ctx looks as a plain { file, line, count } (spread, Object.keys, assignment)
    Object.defineProperties(this, {
      at: { value: 0, writable: true, enumerable: false },
      base: { value: undefined, writable: true, enumerable: false },
      line: {
        get: (): number => this.base === undefined ? this.at : this.base.line(this.file) + this.at,
        set: (line: number) => { this.base = undefined; this.at = line },
        enumerable: true,
      },
    })
  }
}

export class MapTask {
  readonly counters: MapCounters = { records: 0, bytes: 0, pairs: 0, badRecords: 0, invalidUtf8: 0, written: 0, spills: 0, spilledBytes: 0, spilledPairs: 0 }
  readonly user = new UserCounters()
  readonly bad: BadRecord[] = []
  private readonly ctx: MapContext
  private readonly sortBuffer: SortBuffer | PairLines
  private readonly opts: MapTaskOptions
  private pending: Array<[unknown, unknown]> = []
  /** Map calls made so far; `live` is the running one's number (0: none). */
  private calls = 0
  private live = 0
  /** Bytes of the last chunk and its strings, when it held a long line (see collect). */
  private garbage = 0

  constructor (opts: MapTaskOptions) {
    this.opts = opts
    const user = this.user
    this.ctx = new MapContext((name: string, n = 1) => user.add(name, n))
    this.sortBuffer = opts.output !== undefined
      ? new PairLines(opts.output.path, opts.output.format, this.counters)
      : new SortBuffer({
        budget: opts.budget,
        combine: opts.job.combine,
        ctx: this.ctx,
        nextRunPath: opts.nextRunPath,
        counters: this.counters,
        append: opts.append ?? false
      })
  }

  /** Maps a chunk's records; a task whose chunk fails is over, its output file closed. */
  async chunk (chunk: Chunk): Promise<void> {
    try {
      await this.mapChunk(chunk)
    } catch (e) {
      if (this.sortBuffer instanceof PairLines) this.sortBuffer.discard()
      throw e
    }
  }

  /**
   * Maps a chunk's records, one map call each. It stays one function, longer than most: the
   * per-record loop makes each call's emit as a closure over the record, its index and its call
   * number, and reads the chunk's state from its locals; taken apart, a record would pay for
   * calls or an object to carry them.
   */
  private async mapChunk (chunk: Chunk): Promise<void> {
    this.collect()
    const max = chunk.base === undefined ? Infinity : this.opts.maxLineBytes ?? Infinity
    const { records, lines, ends, longLine, invalidUtf8, errors } = recordsOf(chunk, chunk.format ?? this.opts.format, max)
    if (longLine !== -1) throw lineTooLong(chunk.file, chunk.base!.line(chunk.file) + chunk.firstLine + longLine, max)
    const c = this.counters
    c.bytes += chunk.data.byteLength
    c.invalidUtf8 += invalidUtf8
    for (const err of errors) {
      const line = chunk.base === undefined ? err.line : chunk.base.line(chunk.file) + err.line
      this.badRecord(err.named(chunk.file, line), chunk.file, line, err.record)
    }
    const ctx = this.ctx
    ctx.file = chunk.file
    const base = chunk.base
    // (a chunk past LARGE_CHUNK holds a long line: it and its line string are garbage after it)
    if (chunk.data.byteLength > LARGE_CHUNK) this.garbage = 2 * chunk.data.byteLength
    const map = this.opts.job.map
    const sortBuffer = this.sortBuffer
    // With --max-bad-records a failing record's pairs must not count: stage them until map returns.
    const staged = this.opts.maxBadRecords > 0
    let i = 0
    let record: unknown
    const data = viewOf(chunk.data)
    const groupBy = this.opts.job.groupBy
    const summed = sums(this.opts.job)
    for (; i < records.length; i++) {
      record = records[i]
      // A record the loop took is garbage once mapped: the array would keep every line of the
      // chunk alive through each scavenge, to be copied and promoted (hotkey's 11-byte lines,
      // 64 MB: CPU 0.91x; word count 0.95x)
      records[i] = undefined
      ctx.at = lines === null ? chunk.firstLine + i : lines[i]!
      ctx.base = base // (again each record: a job may have set ctx.line)
      c.records++
      tick() // a map that is slow on every record is alive; one stuck on a record is not
      // Each call gets an emit of its own, that works only while the call runs: an emit from a
      // callback a map did not await, once its call returned, would land in the pairs of the
      // record being mapped then (or of a later task); it fails the job instead. (One shared
      // emit could only tell whether some call was running; a closure a record costs no
      // measurable time.)
      const call = ++this.calls
      const add = staged
        ? (k: unknown, v: unknown) => { if (call !== this.live) throw late(); this.pending.push([k, v]) }
        : ends === null || sortBuffer instanceof PairLines
          ? (k: unknown, v: unknown) => { if (call !== this.live) throw late(); c.pairs++; sortBuffer.add(k, v) }
          : (k: unknown, v: unknown) => {
              if (call !== this.live) throw late()
              c.pairs++
              if (k !== record) return sortBuffer.add(k, v)
              // the line itself as the key (sort, count lines): its bytes are in the chunk, less a
              // CR the record dropped; a long key is otherwise a call into C++ to encode
              const start = i === 0 ? 0 : ends[i - 1]! + 1
              let end = ends[i]!
              if (end > start && data.getUint8(end - 1) === 13) end--
              sortBuffer.addBytes(k as string, data, start, end, v)
            }
      const emit = groupBy === undefined && !summed
        ? add
        : (k: unknown, v: unknown) => {
            if (groupBy !== undefined) checkGroupKey(k, groupBy)
            if (summed && typeof v === 'object') checkNotTerm(v)
            add(k, v)
          }
      try {
        this.live = call
        const r = map(record, emit, ctx) as Promise<unknown> | undefined
        if (r !== undefined && r !== null && typeof r.then === 'function') await r
        this.live = 0
        if (staged) {
          for (const [k, v] of this.pending) { c.pairs++; sortBuffer.add(k, v) }
          this.pending.length = 0
        }
        // Held pairs are added as each call returns, so a failure names its record: held across
        // calls until the chunk ended, a 200 MB sum over 6M keys at --memory 256MB peaked at
        // 557 MB, past the bound (384 MB so)
        sortBuffer.flush()
      } catch (e) {
        this.live = 0
        this.pending.length = 0
        const err = this.classify(e, chunk.file, ctx.line)
        if (err.code !== 'MRS_ERR_MAP') throw err
        this.badRecord(err, chunk.file, ctx.line, typeof record === 'string' ? record : JSON.stringify(record) ?? '')
      }
    }
  }

  /** Counts the last chunk's copies as garbage, if it held a long line (see garbage.ts). */
  private collect (): void {
    if (this.garbage === 0) return
    largeGarbage(this.garbage)
    this.garbage = 0
  }

  /** See MapTaskOptions.append. */
  get appends (): boolean { return this.sortBuffer instanceof SortBuffer && this.sortBuffer.appends }

  /** The task's runs; or, for a map-only job, its output file. */
  finish (): { runs: RunInfo[], output?: string } {
    this.collect()
    try {
      const b = this.sortBuffer
      return b instanceof SortBuffer ? { runs: b.finish() } : { runs: [], output: b.finish() }
    } catch (e) {
      if (this.sortBuffer instanceof PairLines) this.sortBuffer.discard()
      const known = e instanceof KeyError || e instanceof ValueError || e instanceof CombineError || e instanceof MrstreamError || e instanceof LateEmitError
      if (known) throw this.classify(e, this.ctx.file, this.ctx.line)
      throw new MrstreamError('MRS_ERR_TASK_FAILED', `spill failed after ${this.ctx.file}:${this.ctx.line}: ${describeUserError(e)}`, { phase: 'spill', file: this.ctx.file, line: this.ctx.line }, e)
    }
  }

  private classify (e: unknown, file: string, line: number): MrstreamError {
    // (a spill combines the values of keys from any records before it: it names the last)
    if (e instanceof CombineError) return new MrstreamError('MRS_ERR_COMBINE', `combine failed (map side, ${e.inSpill ? 'in a spill after' : 'at'} ${file}:${line}): ${e.message}`, { phase: 'combine', file, line })
    return jobError(e, 'map', `${file}:${line}`, { phase: 'map', file, line })
  }

  private badRecord (err: MrstreamError, file: string, line: number, record: string): void {
    this.counters.badRecords++
    if (this.opts.badSoFar + this.counters.badRecords > this.opts.maxBadRecords) throw overBadRecordLimit(err, this.opts.maxBadRecords)
    this.bad.push({ file, line, phase: err.place.phase ?? 'map', error: err.message, record: record.length > 200 ? record.slice(0, 200) + '...' : record })
  }
}

function late (): LateEmitError {
  return new LateEmitError('emit was called after its map call returned')
}
