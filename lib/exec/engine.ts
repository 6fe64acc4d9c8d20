// The one place that orders the phases: input → map tasks (collect, combine, spill) → merge
// passes → reduce tasks over key ranges → output commit. Every task runs on the worker pool.
// The phases are in map-phase.ts, merge-phase.ts and reduce-phase.ts; they read the step, the
// pool, the counters and the progress from the engine (engine-view.ts), and stop with it.
import { dirname, join } from 'node:path'
import { unlinkSync } from 'node:fs'
import { checkInputs, inputBytes, inputName, type Input } from '../input/read.js'
import type { EngineView, PhaseName, Step } from './engine-view.js'
import { isMapOnly, loadSteps, type Job, type JobSource } from '../job/job.js'
import { inputFormats } from '../input/formats.js'
import { largestRecord, plan, recordHeapMb, type Plan } from './plan.js'
import { Pool, Task, type TaskResult } from './pool.js'
import { addCounters, newCounters, subtractCounters, UserCounters, type Counters } from '../counters.js'
import { makeTmpDir, removeTmpDir, staleTmpDirs } from './tmp.js'
import { commitOutput, checkOutput, removeLeftovers, type FragmentSink, type OutputTarget } from '../output/commit.js'
import { MrstreamError, overBadRecordLimit, type ErrorPlace, type BadRecord } from '../errors.js'
import type { Format } from '../input/records.js'
import type { OutputFormat } from '../output/format.js'
import type { ToWorker, WorkerConfig } from './worker.js'
import { addNotes, newNotes, stepWarnings } from '../reduce/mistakes.js'
import { MapPhase, splittableInputs } from './map-phase.js'
import { mergePhase } from './merge-phase.js'
import { reducePhase } from './reduce-phase.js'

export type { Input, StreamInput } from '../input/read.js'

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

/** What the job is doing now, for a progress display. Counts are the current step's. */
export interface Progress {
  /** 1-based; a chain has steps > 1 */
  step: number
  steps: number
  phase: PhaseName
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

/** What a step's reduce takes of its map phase: the workers' config and heap, the phases' timer. */
interface StepPool { config: WorkerConfig, mapHeap: number, time: (phase: string) => void }

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

export class Engine implements EngineView {
  readonly counters = newCounters()
  readonly user = new UserCounters()
  private readonly badByTask = new Map<number, BadRecord[]>()
  private notes = newNotes()
  readonly phases: Record<string, number> = {}
  tmp: string | undefined
  // (the members below without `private` are read by the phases too: see EngineView)
  pool: Pool | undefined
  private nextTask = 0
  private aborted: unknown
  /** What stops the waits of race() when the job is aborted. */
  private readonly stops = new Set<(e: unknown) => void>()
  readonly status: Status = { step: 1, steps: 1, phase: 'map', pass: 0, bytesRead: 0, bytesTotal: undefined, records: 0, done: 0, total: 0 }
  step!: Step
  plan!: Plan

  constructor (readonly opts: EngineOptions) {}

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
  get maxLineBytes (): number {
    return this.step.formats[0] === 'pairs' ? Number.MAX_SAFE_INTEGER : this.opts.maxLineBytes
  }

  /** One step: map, merge passes, reduce, output; for a map-only step, map and output. */
  private async runStep (target: OutputTarget, last: boolean, mapOnly: boolean): Promise<boolean> {
    const o = this.opts
    if (this.aborted !== undefined) throw this.aborted
    const splittable = await splittableInputs(this.step.inputs, this.step.formats)
    const p = this.plan = { ...plan(o.memory, o.workers, splittable.includes(false)), ...o.sizes }
    const config = this.workerConfig()
    // a map holds an input record in its heap (a line, up to --max-line-bytes; a chain's pairs
    // are the step before's, of no known size)
    const mapHeap = o.heapMb ?? Math.max(p.heapMb, recordHeapMb(this.step.formats[0] === 'pairs' ? 0 : this.maxLineBytes))
    this.pool = this.newPool(config, mapHeap)
    this.phase('map', 0)
    const time = this.timer()
    const results = await this.mapTasks(this.pool, splittable)
    time('map')
    if (mapOnly) return await this.mapOnlyOutput(target, results, last, time)
    return await this.reduceStep(target, results, last, { config, mapHeap, time })
  }

  /** What every worker of this step is given. */
  private workerConfig (): WorkerConfig {
    const o = this.opts
    const p = this.plan
    return {
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
  }

  /** A pool of workers with `heapMb` of heap each, that aborts the job on a fatal error. */
  private newPool (config: WorkerConfig, heapMb: number): Pool {
    const o = this.opts
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

  /** The map phase's tasks, on `pool` as its workers start. */
  private async mapTasks (pool: Pool, splittable: boolean[]): Promise<TaskResult[]> {
    // the workers start (load Node and the job) while the main thread finds the splits
    const started = pool.start()
    started.catch(e => this.abort(e)) // (the map phase's reader stops at once)
    const mapped = new MapPhase(this, splittable, this.plan.taskBytes, this.plan.chunkBytes).run()
    return await this.race(Promise.all([started, mapped]).then(([, results]) => results))
  }

  /** A map-only step's output: the map tasks' output files, in input order. */
  private async mapOnlyOutput (target: OutputTarget, results: TaskResult[], last: boolean, time: (phase: string) => void): Promise<boolean> {
    await this.pool!.close()
    if (this.aborted !== undefined) throw this.aborted
    if (target.kind === 'sink') for (const r of results) target.sink.add(r.output!)
    const closed = await this.race(commitOutput(target, results.map(r => [r.output!]), this.opts.stdout, last ? this.opts.committed : undefined))
    time('output')
    return closed
  }

  /** After the map phase: merge passes over its runs, reduce tasks, output. */
  private async reduceStep (target: OutputTarget, results: TaskResult[], last: boolean, step: StepPool): Promise<boolean> {
    const { config, mapHeap, time } = step
    const o = this.opts
    const mapRuns = results.flatMap(r => r.runs)
    // merges and reduces decode the runs' keys and values: workers with room for the largest
    const reduceHeap = o.heapMb ?? Math.max(this.plan.heapMb, recordHeapMb(largestRecord(mapRuns)))
    if (reduceHeap > mapHeap) {
      await this.pool!.close()
      this.pool = this.newPool(config, reduceHeap)
      await this.race(this.pool.start())
    }
    const runs = await this.race(mergePhase(this, mapRuns))
    time('merge')
    const fragments = await this.race(reducePhase(this, runs, target))
    await this.pool!.close()
    if (this.aborted !== undefined) throw this.aborted // (an error outside any task, reported last)
    // the runs are done with (no task can be retried now): removed before the output is copied,
    // their pages need not be written back to disk
    for (const run of runs) { try { unlinkSync(run.path) } catch {} }
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

  phase (phase: PhaseName, total: number, pass = 0): void {
    Object.assign(this.status, { phase, pass, done: 0, total })
  }

  /** Stops the job: the first error wins. */
  abort (e: unknown): void {
    if (this.aborted !== undefined) return
    this.aborted = e
    for (const stop of this.stops) stop(e)
    this.stops.clear()
  }

  isAborted (): boolean {
    return this.aborted !== undefined
  }

  /** Throws the job's error once it is aborted. */
  throwIfAborted (): void {
    if (this.aborted !== undefined) throw this.aborted
  }

  /**
   * p, or the job's error if it is aborted first. Not Promise.race with one promise that fails
   * on abort: each call would add a reaction to it that holds p's result until the job ends
   * (a stream's every read, so all of its input).
   */
  async race<T> (p: Promise<T>): Promise<T> {
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
  commit (task: Task, r: TaskResult): void {
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

  newTask (describe: () => string, start: (id: number) => (attempt: number) => ToWorker): Task {
    const id = this.nextTask++
    return new Task(id, describe, start(id))
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
