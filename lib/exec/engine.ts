// The one place that orders the phases: input → map tasks (collect, combine, spill) → merge
// passes → reduce tasks over key ranges → output commit. Every task runs on the worker pool.
import { dirname, join } from 'node:path'
import { unlinkSync, promises as fsp } from 'node:fs'
import { checkInputs, chunksOf, inputBytes, isSplittableFile } from '../input/read.js'
import { LineBase, countSplitLines, splitsOf, type Split } from '../input/splits.js'
import { isMapOnly, loadSteps, type Job, type JobSource } from '../job/job.js'
import { inputFormats } from '../input/formats.js'
import { chooseSplitters, groupSplitters, largestRecord, mergeFanIn, mergeGroups, plan, recordHeapMb } from './plan.js'
import { Pool, Task, type TaskResult } from './pool.js'
import { addCounters, newCounters, subtractCounters, UserCounters, type Counters } from '../counters.js'
import { makeTmpDir, removeTmpDir, staleTmpDirs } from './tmp.js'
import { commitOutput, checkOutput, removeLeftovers, type FragmentSink, type OutputTarget } from '../output/commit.js'
import { chunksOfRecords } from '../input/objects.js'
import { readFooter, type RunInfo } from '../runs/run-file.js'
import { MrstreamError, overBadRecordLimit, type ErrorPlace, type BadRecord } from '../errors.js'
import type { Chunk, Format } from '../input/records.js'
import type { OutputFormat } from '../output/format.js'
import type { ToWorker, WorkerConfig } from './worker.js'
import { addNotes, newNotes, stepWarnings } from '../reduce/mistakes.js'

/**
 * An input the library's caller gives as a stream or an iterable: `bytes`, cut into records by
 * its format as a file's are, or `records` (object mode), in batches. `name` is what ctx.file
 * and messages call it.
 */
export type StreamInput = { name: string, bytes: AsyncIterable<Buffer | Uint8Array | string> } | { name: string, records: AsyncIterable<readonly unknown[]> }

/** A file's path (`-` for stdin), or a stream. */
export type Input = string | StreamInput

function inputName (input: Input): string {
  return typeof input === 'string' ? input : input.name
}

export interface EngineOptions {
  job: JobSource
  /** The job's steps, when the caller has loaded and checked them (then the job is not imported here). */
  steps?: Job[]
  /** Input bytes a map task and a chunk take, where not plan()'s (runJob: a few records, still several tasks). */
  sizes?: { taskBytes: number, chunkBytes: number }
  inputs: Input[]
  /** Every input's format (--format); undefined: each by its name's extension (formats.ts). */
  format?: Format
  /** An input's own format (`FILE:FORMAT`), by its index in `inputs`: over `format`. */
  inputFormats?: Array<Format | undefined>
  outputFormat: OutputFormat
  output: string | undefined | FragmentSink
  reducers: number | undefined
  memory: number
  workers: number
  tmpDir: string | undefined
  maxBadRecords: number
  maxLineBytes: number
  taskTimeoutMs: number
  fanIn: number
  heapMb: number | undefined
  stdin: NodeJS.ReadableStream
  stdout: NodeJS.WritableStream
  /** Called every `progressMs` (default 1000) with what the job is doing (--progress). */
  progress?: (p: Progress) => void
  progressMs?: number
  warn?: (message: string) => void
  /** Called the moment the job's output is whole in place (see commitOutput). */
  committed?: () => void
}

/** One step of the job as the engine runs it. */
interface Step {
  job: JobSource
  inputs: Input[]
  names?: string[]
  formats: Format[]
  outputFormat: OutputFormat
  name: string
  /** The step's groupBy: reduce's key ranges end where groups begin. */
  groupBy: number | undefined
}

/** What the job is doing now, for a progress display. Counts are the current step's. */
export interface Progress {
  /** 1-based; a chain has steps > 1 */
  step: number
  steps: number
  phase: 'map' | 'merge' | 'reduce' | 'output'
  /** the merge pass, from 1; 0 in other phases */
  pass: number
  bytesRead: number
  /** the input's size, where every input is a regular, uncompressed file (else undefined) */
  bytesTotal: number | undefined
  records: number
  /** tasks of this phase done, and how many there are (map: so far) */
  done: number
  total: number
  spills: number
  retries: number
  elapsedMs: number
}

type Status = Omit<Progress, 'spills' | 'retries' | 'elapsedMs'>

export interface EngineResult {
  /** the whole job's (a chain's steps added up) */
  counters: Counters
  /** each step's own */
  steps: Counters[]
  user: UserCounters
  bad: BadRecord[]
  /** stdout was closed by its reader before the output was written whole. */
  stdoutClosed: boolean
  /** Wall-clock seconds per phase (map includes starting the workers; a chain's steps are prefixed). */
  phases: Record<string, number>
  /** Likely mistakes in the job, found as it ran (a reduce that wrote nothing, ...: mistakes.ts). */
  warnings: string[]
}

// how often the map phase looks for a task waiting for a line number (see countWanted)
const COUNT_POLL_MS = 20

/** The map phase's state while it hands out the inputs. */
interface MapFeed {
  tasks: Task[]
  /** the task of chunks being filled */
  task: Task | undefined
  /** bytes in the task being filled (of chunks or of splits) */
  bytes: number
  /** where the task being filled starts and (so far) ends, for messages */
  range: { from: () => string, to: () => string }
  /** splits not yet given to a task */
  splits: Split[]
  splitBytes: number
  taskBytes: number
  chunkBytes: number
  /** each regular file's splits and their line counts (see countWanted) */
  files: Array<{ name: string, splits: Split[], bases: LineBase[], count?: Promise<void> }>
  stopCounts: boolean
}

export class Engine {
  readonly counters = newCounters()
  readonly user = new UserCounters()
  private readonly badByTask = new Map<number, BadRecord[]>()
  private notes = newNotes()
  readonly phases: Record<string, number> = {}
  tmp: string | undefined
  private pool: Pool | undefined
  private nextTask = 0
  private aborted: unknown
  /** What stops the waits of race() when the job is aborted. */
  private readonly stops = new Set<(e: unknown) => void>()
  private readonly status: Status = { step: 1, steps: 1, phase: 'map', pass: 0, bytesRead: 0, bytesTotal: undefined, records: 0, done: 0, total: 0 }
  // names: the inputs as ctx.file and messages give them, where not their paths (a chain's
  // later step reads the step before's output from a temp file)
  private step!: Step

  private plan!: ReturnType<typeof plan>

  constructor (private readonly opts: EngineOptions) {}

  async run (): Promise<EngineResult> {
    const o = this.opts
    const steps = o.steps ?? await loadSteps(o.job) // fail fast (exit 2) before reading any input or starting workers
    if (o.reducers !== undefined && isMapOnly(steps[steps.length - 1]!)) {
      throw new MrstreamError('MRS_ERR_USAGE', `--reducers ${o.reducers}: the job${steps.length > 1 ? '\'s last step' : ''} is map-only (no reduce): its pairs are written in input order, not partitioned by key, so there are no reducers; give -o FILE, or no -o for stdout`, { phase: 'output' })
    }
    const names = o.inputs.map(inputName)
    await checkInputs(o.inputs.filter(i => typeof i === 'string'))
    const target: OutputTarget = checkOutput(o.output, o.reducers)
    for (const note of removeLeftovers(target)) o.warn?.(note)
    let ticker: NodeJS.Timeout | undefined
    const tmp = this.tmp = makeTmpDir(o.tmpDir)
    for (const stale of staleTmpDirs(dirname(tmp))) o.warn?.(`note: ${stale} was left by an mrstream run that was killed; remove it with rm -r`)
    try {
      if (o.progress !== undefined) {
        const show = o.progress
        const started = Date.now()
        ticker = setInterval(() => show(this.progress(started)), o.progressMs ?? 1000)
        ticker.unref()
      }
      // A chain runs its steps one after another; each step's output, as [key, value] pairs
      // (msgpack, lossless), is the next step's input.
      let inputs = o.inputs
      let formats = inputFormats(names, o.inputFormats, o.format)
      let stdoutClosed = false
      const stepCounters: Counters[] = []
      const warnings: string[] = []
      for (let i = 0; i < steps.length; i++) {
        const before = { ...this.counters }
        const last = i === steps.length - 1
        const job: JobSource = 'file' in o.job ? { file: o.job.file, step: i } : o.job
        const between = join(tmp, `step-${i + 1}.pairs`)
        this.step = { job, inputs, ...(i > 0 ? { names: [`step ${i}'s output`] } : {}), formats, outputFormat: last ? o.outputFormat : 'pairs', name: steps.length > 1 ? `step ${i + 1}: ` : '', groupBy: steps[i]!.groupBy }
        Object.assign(this.status, { step: i + 1, steps: steps.length, bytesRead: 0, records: 0, bytesTotal: await inputBytes(inputs.map(inputName)) })
        try {
          stdoutClosed = await this.runStep(last ? target : { kind: 'file', path: between, partitions: 1 }, last, isMapOnly(steps[i]!))
        } catch (e) {
          throw steps.length > 1 ? inStep(e, i + 1, join(tmp, `step-${i}.pairs`)) : e
        }
        const counters = subtractCounters(this.counters, before)
        stepCounters.push(counters)
        warnings.push(...stepWarnings('reduce', counters, this.notes, this.step.name))
        this.notes = newNotes()
        inputs = [between]
        formats = ['pairs']
      }
      return { counters: this.counters, steps: stepCounters, user: this.user, bad: this.bad, stdoutClosed, phases: this.phases, warnings }
    } finally {
      if (ticker !== undefined) clearInterval(ticker)
      await this.pool?.close()
      removeTmpDir(tmp)
    }
  }

  /**
   * The longest input line this step accepts: the user's limit for their input; none for a
   * chain's pairs between steps (a value the step before emitted, however large, is data).
   */
  private get maxLineBytes (): number {
    return this.step.formats[0] === 'pairs' ? Number.MAX_SAFE_INTEGER : this.opts.maxLineBytes
  }

  /** One step: map, merge passes, reduce, output; for a map-only step, map and output. */
  private async runStep (target: OutputTarget, last: boolean, mapOnly: boolean): Promise<boolean> {
    const o = this.opts
    if (this.aborted !== undefined) throw this.aborted
    const splittable = await this.splittableInputs()
    const p = this.plan = { ...plan(o.memory, o.workers, splittable.includes(false)), ...o.sizes }
    const config: WorkerConfig = {
      job: this.step.job,
      format: this.step.formats[0]!,
      budget: p.budget,
      maxBadRecords: o.maxBadRecords,
      bufferBytes: p.bufferBytes,
      chunkBytes: p.chunkBytes,
      maxLineBytes: this.maxLineBytes,
      tmpDir: this.tmp!,
      outputFormat: this.step.outputFormat,
    }
    const pool = (heapMb: number): Pool => {
      const made = new Pool({
        size: o.workers,
        config,
        taskTimeoutMs: o.taskTimeoutMs,
        maxAttempts: 3,
        heapMb,
        onRetry: () => { this.counters.retries++ },
        onRead: (bytes, records) => { // (split tasks read their input themselves)
          this.status.bytesRead += bytes
          this.status.records += records
        },
      })
      made.onFatal(e => this.abort(e))
      return made
    }
    // a map holds an input record in its heap (a line, up to --max-line-bytes; a chain's pairs
    // are the step before's, of no known size)
    const mapHeap = o.heapMb ?? Math.max(p.heapMb, recordHeapMb(this.step.formats[0] === 'pairs' ? 0 : this.maxLineBytes))
    this.pool = pool(mapHeap)
    this.phase('map', 0)
    const time = this.timer()
    // the workers start (load Node and the job) while the main thread finds the splits
    const started = this.pool.start()
    started.catch(e => this.abort(e)) // (the map phase's reader stops at once)
    const mapped = this.mapPhase(splittable, p.taskBytes, p.chunkBytes)
    const results = await this.race(Promise.all([started, mapped]).then(([, results]) => results))
    time('map')
    if (mapOnly) {
      // the map tasks' output files, in input order, are the output
      await this.pool.close()
      if (this.aborted !== undefined) throw this.aborted
      if (target.kind === 'sink') for (const r of results) target.sink.add(r.output!)
      const closed = await this.race(commitOutput(target, results.map(r => [r.output!]), o.stdout, last ? o.committed : undefined))
      time('output')
      return closed
    }
    const mapRuns = results.flatMap(r => r.runs)
    // merges and reduces decode the runs' keys and values: workers with room for the largest
    const reduceHeap = o.heapMb ?? Math.max(p.heapMb, recordHeapMb(largestRecord(mapRuns)))
    if (reduceHeap > mapHeap) {
      await this.pool.close()
      this.pool = pool(reduceHeap)
      await this.race(this.pool.start())
    }
    const runs = await this.race(this.mergePhase(mapRuns))
    time('merge')
    const fragments = await this.race(this.reducePhase(runs, target))
    await this.pool.close()
    if (this.aborted !== undefined) throw this.aborted // (an error outside any task, reported last)
    // the runs are done with (no task can be retried now): removed before the output is copied,
    // their pages need not be written back to disk
    for (const run of runs) { try { unlinkSync(run) } catch {} }
    time('reduce')
    this.phase('output', 1)
    // (a sink's reader may stop the job while it reads)
    const closed = await this.race(commitOutput(target, fragments, o.stdout, last ? o.committed : undefined))
    this.status.done = 1
    time('output')
    return closed
  }

  /** Each call records the seconds since the previous one under `phase` (for --stats). */
  private timer (): (phase: string) => void {
    let from = performance.now()
    return phase => {
      const now = performance.now()
      this.phases[this.step.name + phase] = Math.round(now - from) / 1000
      from = now
    }
  }

  private progress (started: number): Progress {
    return { ...this.status, spills: this.counters.spills, retries: this.counters.retries, elapsedMs: Date.now() - started }
  }

  private phase (phase: Progress['phase'], total: number, pass = 0): void {
    Object.assign(this.status, { phase, pass, done: 0, total })
  }

  /** Stops the job: the first error wins. */
  abort (e: unknown): void {
    if (this.aborted !== undefined) return
    this.aborted = e
    for (const stop of this.stops) stop(e)
    this.stops.clear()
  }

  /**
   * p, or the job's error if it is aborted first. Not Promise.race with one promise that fails
   * on abort: each call would add a reaction to it that holds p's result until the job ends
   * (a stream's every read, so all of its input).
   */
  private async race<T> (p: Promise<T>): Promise<T> {
    if (this.aborted !== undefined) throw this.aborted
    return await new Promise<T>((resolve, reject) => {
      const stop = (e: unknown): void => reject(e)
      this.stops.add(stop)
      p.then(v => { this.stops.delete(stop); resolve(v) }, e => { this.stops.delete(stop); reject(e) })
    })
  }

  /**
   * A task's results, once (its last attempt's). Bad records are kept by task, so that they list
   * in input order; and the limit is the whole job's: tasks running side by side each knew only
   * the ones finished before they started, so the sum is checked here.
   */
  private commit (task: Task, r: TaskResult): void {
    addCounters(this.counters, r.counters as Partial<Counters>)
    if (r.notes !== undefined) addNotes(this.notes, r.notes)
    this.user.merge(r.user)
    if (r.bad.length === 0) return
    this.badByTask.set(task.id, r.bad)
    const max = this.opts.maxBadRecords
    if (this.counters.badRecords > max) {
      const over = this.bad[max]! // in input order, among the ones found so far
      this.abort(overBadRecordLimit(new MrstreamError('MRS_ERR_MAP', over.error, { phase: over.phase as ErrorPlace['phase'], file: over.file, line: over.line }), max))
    }
  }

  /** The bad records skipped, in input order (map tasks are numbered in input order, and steps follow each other). */
  get bad (): BadRecord[] {
    return [...this.badByTask].sort((a, b) => a[0] - b[0]).flatMap(([, bad]) => bad)
  }

  private newTask (describe: () => string, start: (id: number) => (attempt: number) => ToWorker): Task {
    const id = this.nextTask++
    return new Task(id, describe, start(id))
  }

  /**
   * Map: cut the inputs into tasks, in input order (so each task's runs keep input order).
   * Regular files of lines become splits that tasks read themselves, up to splitBytes a task;
   * other inputs (stdin, gzip, csv, file) are read here and sent in chunks, up to
   * taskBytes a task (kept here until the task is done, for retries).
   */
  private async mapPhase (splittable: boolean[], taskBytes: number, chunkBytes: number): Promise<TaskResult[]> {
    const feed: MapFeed = {
      tasks: [],
      task: undefined,
      bytes: 0,
      range: { from: () => '', to: () => '' },
      splits: [],
      splitBytes: await this.splitBytes(splittable, taskBytes),
      taskBytes,
      chunkBytes,
      files: [],
      stopCounts: false,
    }
    const watch = setInterval(() => this.countWanted(feed), COUNT_POLL_MS)
    watch.unref()
    try {
      for (const [i, input] of this.step.inputs.entries()) {
        if (splittable[i]) await this.feedSplits(feed, input as string, i)
        else await this.feedChunks(feed, input, i)
      }
      await this.flushSplits(feed)
      if (feed.task !== undefined) this.pool!.end(feed.task)
      return await Promise.all(feed.tasks.map(t => t.result))
    } finally {
      clearInterval(watch)
      feed.stopCounts = true // (every task is done: no one waits for a number)
      await Promise.allSettled(feed.files.map(f => f.count))
    }
  }

  /** A new map task: of `splits`, or (none given) of chunks to be sent to it. */
  private async openMapTask (feed: MapFeed, splits?: Split[]): Promise<Task> {
    const pool = this.pool!
    // a task of chunks holds its input until done: wait for a free worker before reading on.
    // A task of splits holds none: queue it.
    if (splits === undefined) await this.race(pool.free()) // (a stopped job frees no worker)
    if (this.aborted !== undefined) throw this.aborted
    const r = feed.range
    const t = this.newTask(() => `map task ${t.id} (input ${r.from()} to ${r.to()}+)`, id => attempt => ({ type: 'map', task: id, attempt, badSoFar: this.counters.badRecords, ...(splits ? { splits } : {}) }))
    feed.tasks.push(pool.submit(t))
    this.status.total++
    t.result.then(r => { this.commit(t, r); this.status.done++ }, () => {})
    return t
  }

  /**
   * A regular file's splits, gathered into tasks of splitBytes. Every split is handed out at
   * once; none waits for the line count (see splits.ts). A short first split, so that the
   * second worker started while the count was still early, became one spill more for nothing.
   */
  private async feedSplits (feed: MapFeed, name: string, i: number): Promise<void> {
    if (feed.task !== undefined) { this.pool!.end(feed.task); feed.task = undefined; feed.bytes = 0 }
    const fileSplits: Split[] = []
    for await (const split of splitsOf(name, feed.splitBytes, this.maxLineBytes, this.step.names?.[i], this.step.formats[i])) {
      if (this.aborted !== undefined) throw this.aborted
      const at = splitStart(split)
      if (feed.splits.length === 0) feed.range = { from: at, to: at }
      feed.range.to = at
      feed.splits.push(split)
      fileSplits.push(split)
      feed.bytes += split.length
      if (feed.bytes >= feed.splitBytes) await this.flushSplits(feed)
    }
    feed.files.push({ name, splits: fileSplits, bases: fileSplits.map(s => new LineBase(s.lineBase)) })
  }

  private async flushSplits (feed: MapFeed): Promise<void> {
    if (feed.splits.length === 0) return
    const s = feed.splits
    feed.splits = []
    feed.bytes = 0
    await this.openMapTask(feed, s) // the worker ends a split task itself
  }

  /** Any other input (stdin, gzip, csv, a stream) read here in chunks, sent to tasks of taskBytes. */
  private async feedChunks (feed: MapFeed, input: Input, i: number): Promise<void> {
    const pool = this.pool!
    await this.flushSplits(feed)
    for await (const chunk of this.chunks(input, this.step.formats[i]!, feed.chunkBytes)) {
      if (this.aborted !== undefined) throw this.aborted
      const at = `${chunk.file}:${chunk.firstLine}`
      if (feed.task === undefined) feed.range = { from: () => at, to: () => at }
      feed.range.to = () => at
      feed.task ??= await this.openMapTask(feed)
      pool.chunk(feed.task, chunk)
      feed.bytes += chunk.data.byteLength
      this.status.bytesRead += chunk.data.byteLength
      if (feed.bytes >= feed.taskBytes) {
        pool.end(feed.task)
        feed.task = undefined
        feed.bytes = 0
      }
    }
  }

  /**
   * Each file's lines are counted only once a task asks for one of its splits' first line
   * number (its job reads ctx.line, or it names a line in an error): the count costs the main
   * thread ~0.3 s of CPU a GiB beside the workers, for numbers most jobs never read.
   */
  private countWanted (feed: MapFeed): void {
    for (const f of feed.files) {
      if (f.count !== undefined || !f.bases.some(b => b.wanted)) continue
      f.count = countSplitLines(f.name, f.splits, this.maxLineBytes, {
        stopped: () => feed.stopCounts || this.aborted !== undefined,
        onError: e => this.abort(e), // (a line over --max-line-bytes: the job fails then)
      })
      f.count.catch(() => {}) // (reported by onError)
    }
  }

  /** The chunks of an input read here (not as splits): stdin, gzip, csv, file, a stream. */
  private chunks (input: Input, format: Format, chunkBytes: number): AsyncIterable<Chunk> {
    const opts = { format, chunkBytes, maxLineBytes: this.maxLineBytes, stdin: this.opts.stdin }
    if (typeof input === 'string') return chunksOf(input, opts)
    if ('records' in input) return chunksOfRecords(input.name, this.untilAborted(input.records), chunkBytes)
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
      for (let r = await this.race(it.next()); r.done !== true; r = await this.race(it.next())) yield r.value
      ended = true
    } finally {
      if (!ended) void Promise.resolve(it.return?.()).catch(() => {})
    }
  }

  /** Which inputs are read as splits: regular uncompressed files of lines. */
  private async splittableInputs (): Promise<boolean[]> {
    const splitFormats: Format[] = ['lines', 'ndjson', 'pairs']
    return await Promise.all(this.step.inputs.map(async (input, i) => typeof input === 'string' && splitFormats.includes(this.step.formats[i]!) && await isSplittableFile(input)))
  }

  /**
   * Input bytes per split task: one task per worker, at most 512 MB (a retry redoes a
   * task). Each task ends with a spill of every key it saw,
   * and the reduce merges each task's runs: two tasks a worker cost more than they balanced,
   * and 512 MB tasks beat 256 MB ones on 1 GiB inputs.
   */
  private async splitBytes (splittable: boolean[], taskBytes: number): Promise<number> {
    let total = 0
    for (const [i, input] of this.step.inputs.entries()) if (splittable[i]) total += (await fsp.stat(input as string)).size
    return Math.min(512 << 20, Math.max(taskBytes, Math.ceil(total / this.opts.workers)))
  }

  /**
   * Extra passes while there are more runs than the fan-in, over groups of consecutive runs (so
   * run order, hence value order, holds). As Hadoop's merger does, a pass merges only as many
   * runs as it takes for the rest to fit the fan-in: 68 runs at fan-in 64 merged 64 of them
   * into one (a 1 GB sum waited 33 s on that single task); now 2 groups of 3 runs, one a worker.
   */
  private async mergePhase (runs: RunInfo[]): Promise<string[]> {
    const fanIn = mergeFanIn(this.opts.fanIn, this.opts.memory / this.opts.workers, runs)
    while (runs.length > fanIn) {
      this.counters.mergePasses++
      const groups = mergeGroups(runs.length, fanIn, this.opts.workers).map(([from, to]) => runs.slice(from, to))
      const pass = this.counters.mergePasses
      this.phase('merge', groups.filter(g => g.length > 1).length, pass)
      const tasks = groups.map((group, g) => group.length === 1
        ? undefined
        : this.pool!.submit(this.newTask(() => `merge task (pass ${pass}, group ${g})`, id => attempt => ({ type: 'merge', task: id, attempt, runs: group.map(r => r.path), out: join(this.tmp!, `merge-${pass}-${g}-t${id}-a${attempt}.run`) }))))
      const merged: RunInfo[] = []
      for (let g = 0; g < groups.length; g++) {
        const t = tasks[g]
        if (t === undefined) { merged.push(groups[g]![0]!); continue }
        const r = await t.result
        this.commit(t, r)
        this.status.done++
        merged.push(r.runs[0]!)
        for (const old of groups[g]!) { try { unlinkSync(old.path) } catch {} }
      }
      runs = merged
    }
    return runs.map(r => r.path)
  }

  /**
   * Reduce: split the key space into ranges (from the runs' block indexes); one task each. A
   * sink gets each task's fragment as soon as it and the tasks before it are done.
   */
  private async reducePhase (runs: string[], target: OutputTarget): Promise<string[][]> {
    const partitions = target.partitions
    const footers = runs.map(r => readFooter(r))
    const splitters = groupSplitters(chooseSplitters(footers.flatMap(f => f.blocks.map(b => b[1])), this.opts.workers * 2), this.step.groupBy)
    const bounds: Array<[string | null, string | null]> = []
    for (let i = 0; i <= splitters.length; i++) bounds.push([i === 0 ? null : splitters[i - 1]!, i === splitters.length ? null : splitters[i]!])
    const { bufferBytes } = this.plan
    const tasks = bounds.map(([lo, hi], r) => this.pool!.submit(this.newTask(
      () => `reduce task ${r} (key range ${r + 1} of ${bounds.length})`,
      id => attempt => ({
        type: 'reduce',
        task: id,
        attempt,
        badSoFar: this.counters.badRecords,
        spec: { runs, lo, hi, fragments: Array.from({ length: partitions }, (_, p) => join(this.tmp!, `reduce-t${id}-p${p}-a${attempt}.out`)), format: this.step.outputFormat, bufferBytes },
      })
    )))
    this.phase('reduce', tasks.length)
    const fragments: string[][] = []
    for (let r = 0; r < tasks.length; r++) {
      const res = await tasks[r]!.result
      this.commit(tasks[r]!, res)
      if (this.aborted !== undefined) throw this.aborted
      this.status.done++
      fragments.push(Array.from({ length: partitions }, (_, p) => join(this.tmp!, `reduce-t${tasks[r]!.id}-p${p}-a${tasks[r]!.attempts}.out`)))
      if (target.kind === 'sink') target.sink.add(fragments[r]![0]!) // (read while the later tasks run)
    }
    return fragments
  }
}

/** Where a split starts, for a task's description: its first line once counted, else its byte. */
function splitStart (split: Split): () => string {
  return () => {
    const line = new LineBase(split.lineBase).known
    return line === undefined ? `${split.name} byte ${split.offset}` : `${split.name}:${line}`
  }
}

/**
 * A chain step's error, naming its step, and the step before's output for the temp file it
 * was read from (a path the user never gave, gone once the job ends).
 */
function inStep (e: unknown, step: number, input: string): unknown {
  if (!(e instanceof MrstreamError) || e.code === 'MRS_ERR_INTERRUPTED') return e
  const from = `step ${step - 1}'s output`
  const place = e.place.file === input ? { ...e.place, file: from } : e.place
  return new MrstreamError(e.code, `step ${step}: ${e.message.replaceAll(input, from)}`, place, e)
}

/** Up to n-1 splitters: evenly spaced among the sorted distinct block keys. */
