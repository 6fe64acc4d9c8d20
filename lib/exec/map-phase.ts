// The map phase: the step's inputs cut into map tasks, in input order (so each task's runs keep
// input order). Regular files of lines become splits that tasks read themselves; other inputs
// (stdin, gzip, csv, file, the library's streams) are read here and sent in chunks.
import { promises as fsp } from 'node:fs'
import { chunksOf, isSplittableFile, type Input } from '../input/read.js'
import { countSplitLines, splitsOf, type Split } from '../input/splits.js'
import { LineBase } from '../input/line-base.js'
import { chunksOfRecords } from '../input/objects.js'
import type { Chunk, Format } from '../input/records.js'
import type { Task, TaskResult } from './pool.js'
import type { EngineView } from './engine-view.js'

// how often the map phase looks for a task waiting for a line number (see countWanted)
const COUNT_POLL_MS = 20

/** Which of the step's inputs are read as splits: regular uncompressed files of lines. */
export async function splittableInputs (inputs: Input[], formats: Format[]): Promise<boolean[]> {
  const splitFormats: Format[] = ['lines', 'ndjson', 'pairs']
  return await Promise.all(inputs.map(async (input, i) => typeof input === 'string' && splitFormats.includes(formats[i]!) && await isSplittableFile(input)))
}

/** One step's map phase, while it hands out the inputs. */
export class MapPhase {
  private readonly tasks: Task[] = []
  /** the task of chunks being filled */
  private task: Task | undefined
  /** bytes in the task being filled (of chunks or of splits) */
  private bytes = 0
  /** where the task being filled starts and (so far) ends, for messages */
  private range: { from: () => string, to: () => string } = { from: () => '', to: () => '' }
  /** splits not yet given to a task */
  private splits: Split[] = []
  private splitBytes = 0
  /** each regular file's splits and their line counts (see countWanted) */
  private readonly files: Array<{ name: string, splits: Split[], bases: LineBase[], count?: Promise<void> }> = []
  private stopCounts = false

  constructor (
    private readonly engine: EngineView, private readonly splittable: boolean[],
    private readonly taskBytes: number, private readonly chunkBytes: number
  ) {}

  /**
   * Every input into tasks: splits up to splitBytes a task; chunks up to taskBytes a task (kept
   * here until the task is done, for retries). Resolves to the tasks' results, in input order.
   */
  async run (): Promise<TaskResult[]> {
    const e = this.engine
    this.splitBytes = await this.splitBytesOf()
    const watch = setInterval(() => this.countWanted(), COUNT_POLL_MS)
    watch.unref()
    try {
      for (const [i, input] of e.step.inputs.entries()) {
        if (this.splittable[i]) await this.feedSplits(input as string, i)
        else await this.feedChunks(input, i)
      }
      await this.flushSplits()
      if (this.task !== undefined) e.pool!.end(this.task)
      return await Promise.all(this.tasks.map(t => t.result))
    } finally {
      clearInterval(watch)
      this.stopCounts = true // (every task is done: no one waits for a number)
      await Promise.allSettled(this.files.map(f => f.count))
    }
  }

  /** A new map task: of `splits`, or (none given) of chunks to be sent to it. */
  private async openTask (splits?: Split[]): Promise<Task> {
    const e = this.engine
    const pool = e.pool!
    // a task of chunks holds its input until done: wait for a free worker before reading on.
    // A task of splits holds none: queue it.
    if (splits === undefined) await e.race(pool.free()) // (a stopped job frees no worker)
    e.throwIfAborted()
    const r = this.range
    const t = e.newTask(() => `map task ${t.id} (input ${r.from()} to ${r.to()}+)`, id => attempt => ({ type: 'map', task: id, attempt, badSoFar: e.counters.badRecords, ...(splits ? { splits } : {}) }))
    this.tasks.push(pool.submit(t))
    e.status.total++
    t.result.then(r => { e.commit(t, r); e.status.done++ }, () => {})
    return t
  }

  /**
   * A regular file's splits, gathered into tasks of splitBytes. Every split is handed out at
   * once; none waits for the line count (see splits.ts). A short first split, so that the
   * second worker started while the count was still early, became one spill more for nothing.
   */
  private async feedSplits (name: string, i: number): Promise<void> {
    const e = this.engine
    if (this.task !== undefined) { e.pool!.end(this.task); this.task = undefined; this.bytes = 0 }
    const fileSplits: Split[] = []
    for await (const split of splitsOf(name, this.splitBytes, e.maxLineBytes, e.step.names?.[i], e.step.formats[i])) {
      e.throwIfAborted()
      const at = splitStart(split)
      if (this.splits.length === 0) this.range = { from: at, to: at }
      this.range.to = at
      this.splits.push(split)
      fileSplits.push(split)
      this.bytes += split.length
      if (this.bytes >= this.splitBytes) await this.flushSplits()
    }
    this.files.push({ name, splits: fileSplits, bases: fileSplits.map(s => new LineBase(s.lineBase)) })
  }

  private async flushSplits (): Promise<void> {
    if (this.splits.length === 0) return
    const s = this.splits
    this.splits = []
    this.bytes = 0
    await this.openTask(s) // the worker ends a split task itself
  }

  /** Any other input (stdin, gzip, csv, a stream) read here in chunks, sent to tasks of taskBytes. */
  private async feedChunks (input: Input, i: number): Promise<void> {
    const e = this.engine
    const pool = e.pool!
    await this.flushSplits()
    for await (const chunk of this.chunks(input, e.step.formats[i]!)) {
      e.throwIfAborted()
      const at = `${chunk.file}:${chunk.firstLine}`
      if (this.task === undefined) this.range = { from: () => at, to: () => at }
      this.range.to = () => at
      this.task ??= await this.openTask()
      pool.chunk(this.task, chunk)
      this.bytes += chunk.data.byteLength
      e.status.bytesRead += chunk.data.byteLength
      if (this.bytes >= this.taskBytes) {
        pool.end(this.task)
        this.task = undefined
        this.bytes = 0
      }
    }
  }

  /**
   * Each file's lines are counted only once a task asks for one of its splits' first line
   * number (its job reads ctx.line, or it names a line in an error): the count costs the main
   * thread ~0.3 s of CPU a GiB beside the workers, for numbers most jobs never read.
   */
  private countWanted (): void {
    const e = this.engine
    for (const f of this.files) {
      if (f.count !== undefined || !f.bases.some(b => b.wanted)) continue
      f.count = countSplitLines(f.name, f.splits, e.maxLineBytes, {
        stopped: () => this.stopCounts || e.isAborted(),
        onError: err => e.abort(err), // (a line over --max-line-bytes: the job fails then)
      })
      f.count.catch(() => {}) // (reported by onError)
    }
  }

  /** The chunks of an input read here (not as splits): stdin, gzip, csv, file, a stream. */
  private chunks (input: Input, format: Format): AsyncIterable<Chunk> {
    const opts = { format, chunkBytes: this.chunkBytes, maxLineBytes: this.engine.maxLineBytes, stdin: this.engine.opts.stdin }
    if (typeof input === 'string') return chunksOf(input, opts)
    if ('records' in input) return chunksOfRecords(input.name, this.untilAborted(input.records), this.chunkBytes)
    return chunksOf(input.name, { ...opts, source: this.untilAborted(input.bytes) })
  }

  /**
   * A caller's stream, read until the job stops: a read still waiting then fails with the job's
   * error, so the map phase ends (its line-count timer with it) even if the stream never does.
   */
  private async * untilAborted<T> (source: AsyncIterable<T>): AsyncGenerator<T> {
    const it = source[Symbol.asyncIterator]()
    let ended = false
    try {
      for (let r = await this.engine.race(it.next()); r.done !== true; r = await this.engine.race(it.next())) yield r.value
      ended = true
    } finally {
      if (!ended) void Promise.resolve(it.return?.()).catch(() => {})
    }
  }

  /**
   * Input bytes per split task: one task per worker, at most 512 MB (a retry redoes a
   * task). Each task ends with a spill of every key it saw,
   * and the reduce merges each task's runs: two tasks a worker cost more than they balanced,
   * and 512 MB tasks beat 256 MB ones on 1 GiB inputs.
   */
  private async splitBytesOf (): Promise<number> {
    const e = this.engine
    let total = 0
    for (const [i, input] of e.step.inputs.entries()) if (this.splittable[i]) total += (await fsp.stat(input as string)).size
    return Math.min(512 << 20, Math.max(this.taskBytes, Math.ceil(total / e.opts.workers)))
  }
}

/** Where a split starts, for a task's description: its first line once counted, else its byte. */
function splitStart (split: Split): () => string {
  return () => {
    const line = new LineBase(split.lineBase).known
    return line === undefined ? `${split.name} byte ${split.offset}` : `${split.name}:${line}`
  }
}
