// The worker pool: runs tasks on worker threads, one task per worker at a time, and retries a
// task on a fresh worker when its worker dies (crash, process.exit, out of memory) or goes
// silent for the task timeout. Workers start as tasks wait for them, up to the pool's size: a
// small input that makes one task starts one worker. An attempt's results count only once it
// reports done, so a failed attempt leaves nothing behind but files the engine ignores
// (exactly-once).
// A job error inside a task (map threw, bad key) is not retried: it fails the job.
import { availableParallelism } from 'node:os'
import { setFlagsFromString } from 'node:v8'
import { Worker, type WorkerOptions } from 'node:worker_threads'
import { MrstreamError, OUTSIDE_TASKS, describeThrown, fromErrorData, outOfFiles, type ErrorData, type BadRecord } from '../errors.js'
import { LARGE_CHUNK, type Chunk } from '../input/records.js'
import { largeGarbage } from './garbage.js'
import type { RunInfo } from '../runs/run-format.js'
import type { ToWorker, WorkerConfig, WorkerData } from './worker.js'
import type { ReduceNotes } from '../reduce/mistakes.js'

export interface TaskResult {
  runs: RunInfo[]
  /** A map-only job's map task: its output lines. */
  output?: string
  counters: Record<string, number>
  user: Array<[string, number]>
  bad: BadRecord[]
  /** a reduce task's: what points to a mistake in the job's reduce */
  notes?: ReduceNotes
}

type FromWorker =
  | { type: 'ready' }
  | { type: 'progress', task: number, bytes?: number, records?: number }
  | ({ type: 'done', task: number } & TaskResult)
  | { type: 'failed', task: number, error: ErrorData, outOfFiles?: boolean }
  | { type: 'exiting', cause: string }

/** A task: for map tasks, the chunks sent so far are kept until the task is done (for retries). */
export class Task {
  attempts = 0
  chunks: Chunk[] = []
  ended = false
  /** Input bytes and records this attempt has read itself (a split task), for --progress. */
  read = 0
  records = 0
  slot: Slot | undefined
  readonly result: Promise<TaskResult>
  resolve!: (r: TaskResult) => void
  reject!: (e: unknown) => void
  constructor (readonly id: number, readonly describe: () => string, readonly start: (attempt: number) => ToWorker) {
    this.result = new Promise((resolve, reject) => { this.resolve = resolve; this.reject = reject })
    this.result.catch(() => {}) // the engine awaits it; a rejection before that is not unhandled
  }
}

interface Slot {
  worker: Worker
  task: Task | undefined
  lastProgress: number
  /** The worker's heartbeat counter (heartbeat.ts), and its value when last looked at. */
  beats: Int32Array
  seen: number
  cause: string | undefined
  ready: boolean
  /** Its start failed for want of file descriptors (see startWorker). */
  outOfFiles: boolean
}

export interface PoolOptions {
  size: number
  config: WorkerConfig
  taskTimeoutMs: number
  maxAttempts: number
  heapMb: number | undefined
  onRetry: (task: Task, cause: string) => void
  /** Bytes of input a split task read (less, when a task is retried, what its attempt had read). */
  onRead?: (bytes: number, records: number) => void
}

/**
 * V8 compiles hot functions on background threads, so that the thread running them goes on
 * meanwhile. With a worker on every core no core is idle for those threads: a worker's code
 * ran unoptimized while its compile waited for a core. Compiling on the worker's own thread
 * (set before the workers' isolates start) was faster in every benchmark scenario.
 */
function compileInline (): void {
  setFlagsFromString('--no-concurrent-recompilation')
}

/**
 * The process's Node options (its arguments and NODE_OPTIONS) less module hooks (--import,
 * --require, --loader): a worker loads only the engine and the job's module, TypeScript
 * included (job.ts), while a test runner's or a tracer's hooks, loaded again in every worker,
 * cost seconds each (a tiny runJob() under tap's TypeScript hooks: 10 s -> under 2 s).
 */
function withoutHooks (args: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const m = /^(--import|--require|-r|--loader|--experimental-loader)(=.*)?$/.exec(args[i]!)
    if (m === null) out.push(args[i]!)
    else if (m[2] === undefined) i++ // (its value is the next argument)
  }
  return out
}

// the worker's Node options, once they are known to be accepted (see newWorker)
let execArgv: string[] | undefined

/**
 * A worker thread without the process's module hooks. Given explicitly, Node checks a worker's
 * options and refuses those of the whole process (--max-old-space-size, --expose-gc), which it
 * would have let a worker inherit: those are taken out (they apply to every thread anyway).
 */
function newWorker (options: WorkerOptions): Worker {
  const url = new URL('./worker.js', import.meta.url)
  execArgv ??= withoutHooks(process.execArgv)
  // (nothing taken out: inherited, as before, and not checked)
  if (execArgv.length === process.execArgv.length) return new Worker(url, options)
  try {
    return new Worker(url, { ...options, execArgv })
  } catch (e) {
    const m = /invalid execArgv flags: (.*)$/.exec((e as Error).message)
    if ((e as NodeJS.ErrnoException).code !== 'ERR_WORKER_INVALID_EXEC_ARGV' || m === null) throw e
    const refused = m[1]!.split(', ')
    execArgv = execArgv.filter(a => !refused.includes(a))
    return new Worker(url, { ...options, execArgv })
  }
}

/** Starts of one worker, the first counted, before one that finds no file descriptor fails the job. */
const START_ATTEMPTS = 3

/** A worker's start that failed for want of file descriptors: worth another, alone (startWorker). */
class OutOfFiles extends MrstreamError {}

function workerEnv (): NodeJS.ProcessEnv {
  const env = { ...process.env }
  const options = env.NODE_OPTIONS
  if (options !== undefined) {
    const kept = withoutHooks(options.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).join(' ')
    if (kept === '') delete env.NODE_OPTIONS
    else env.NODE_OPTIONS = kept
  }
  return env
}

export class Pool {
  private slots: Slot[] = []
  private queue: Task[] = []
  private waiters: Array<() => void> = []
  private fatal: ((e: unknown) => void) | undefined
  private closed = false
  private watchdog: NodeJS.Timeout | undefined
  /** The workers' starts under way, and the last of the starts again (startWorker). */
  private starting = new Set<Promise<void>>()
  private restarts: Promise<void> = Promise.resolve()
  /** Starts that failed for want of file descriptors and wait to start again (startWorker). */
  private waiting = 0
  private readonly opts: PoolOptions

  constructor (opts: PoolOptions) {
    this.opts = opts
  }

  /**
   * Starts the first worker; rejects when the job cannot load in it. The others start as tasks
   * wait for them (grow). A worker costs about 0.06 s of CPU to start (Node and the job loaded
   * again): a tiny run with two workers took 0.24 CPU s, with one 0.18.
   */
  async start (): Promise<void> {
    if (this.opts.size >= availableParallelism()) compileInline()
    if (this.opts.taskTimeoutMs > 0) {
      this.watchdog = setInterval(() => this.checkTimeouts(), Math.min(1000, this.opts.taskTimeoutMs / 4))
      this.watchdog.unref()
    }
    await this.startWorker()
  }

  /** Calls fn with the first job error any task reports after this. */
  onFatal (fn: (e: unknown) => void): void { this.fatal = fn }

  /** Resolves when a worker is free for a new task (backpressure for the reader), or the pool is closed. */
  async free (): Promise<void> {
    while (!this.closed && this.busy() + this.queue.length >= this.opts.size) await new Promise<void>(resolve => this.waiters.push(resolve))
  }

  submit (task: Task): Task {
    this.queue.push(task)
    this.dispatch()
    this.grow()
    return task
  }

  /**
   * Starts workers for the tasks that no worker, started or starting, is free to take, up to
   * the pool's size. A start that fails fails the job, as the first one does.
   */
  private grow (): void {
    if (this.closed) return
    let free = this.waiting
    for (const slot of this.slots) if (slot.task === undefined) free++
    for (let n = this.queue.length - free; n > 0 && this.slots.length + this.waiting < this.opts.size; n--) {
      this.startWorker().catch(e => this.fatal?.(e))
    }
  }

  /** Sends one more chunk of a streaming map task (now, or when it is dispatched). */
  chunk (task: Task, chunk: Chunk): void {
    task.chunks.push(chunk)
    if (task.slot !== undefined) task.slot.worker.postMessage({ type: 'chunk', task: task.id, chunk } satisfies ToWorker)
  }

  end (task: Task): void {
    task.ended = true
    if (task.slot !== undefined) task.slot.worker.postMessage({ type: 'end', task: task.id } satisfies ToWorker)
  }

  /**
   * Stops the workers. A task not done by then fails, and a wait for a free worker ends: what
   * waits on them (the map phase's reader) ends too, whatever stopped the job, even the pool
   * failing to start.
   */
  async close (): Promise<void> {
    this.closed = true
    if (this.watchdog) clearInterval(this.watchdog)
    const closed = new MrstreamError('MRS_ERR_TASK_FAILED', 'the worker pool was closed before the task ran')
    for (const task of this.queue.splice(0)) task.reject(closed)
    for (const slot of this.slots) slot.task?.reject(closed)
    this.wake()
    await Promise.all(this.slots.map(s => s.worker.terminate()))
    this.slots = []
  }

  private busy (): number {
    return this.slots.filter(s => s.task !== undefined).length
  }

  /**
   * Starts a worker. Node's module loader holds each file open while it reads it and reads a
   * module's imports all at once, so workers loading their modules together can find no file
   * descriptor left under a low `ulimit -n` (six workers under 52) where one alone finds
   * enough: a start that failed so (EMFILE, ENFILE) starts again once the starts under way
   * have ended, one at a time, up to START_ATTEMPTS times. Starts that succeed cost nothing.
   */
  private async startWorker (): Promise<void> {
    let started = this.spawn()
    for (let attempt = 1; ; attempt++) {
      this.starting.add(started)
      try {
        await started
        return
      } catch (e) {
        if (!(e instanceof OutOfFiles)) throw e
        if (attempt === START_ATTEMPTS) throw new MrstreamError(e.code, `${e.message} (too many open files: raise ulimit -n, or use fewer --workers)`, e.place)
      } finally {
        this.starting.delete(started)
      }
      const others = [...this.starting]
      this.waiting++
      started = this.restarts.then(async () => {
        await Promise.allSettled(others)
        this.waiting--
        if (!this.closed) await this.spawn()
      })
      this.restarts = started.catch(() => {})
    }
  }

  private spawn (): Promise<void> {
    // A 16 MB young generation per worker instead of V8's default: less peak RSS (200 MB with
    // two workers at --memory 32MB), no slower.
    const resourceLimits = this.opts.heapMb ? { maxOldGenerationSizeMb: this.opts.heapMb, maxYoungGenerationSizeMb: 16 } : undefined
    const beats = new Int32Array(new SharedArrayBuffer(4))
    let worker: Worker
    try {
      const workerData = { ...this.opts.config, beats } satisfies WorkerData
      worker = newWorker({ workerData, env: workerEnv(), ...(resourceLimits ? { resourceLimits } : {}), stdout: false, stderr: false })
    } catch (e) {
      const hint = (e as Error).name === 'DataCloneError' ? ' (a worker loads the job from a module file or from source text: it cannot be given functions)' : ''
      return Promise.reject(new MrstreamError('MRS_ERR_JOB_LOAD', `a worker failed to start: ${describeThrown(e)}${hint}`, { phase: 'job' }, e))
    }
    const slot: Slot = { worker, task: undefined, lastProgress: Date.now(), beats, seen: 0, cause: undefined, ready: false, outOfFiles: false }
    this.slots.push(slot)
    return new Promise((resolve, reject) => {
      worker.on('message', (msg: FromWorker) => this.message(slot, msg, resolve, reject))
      worker.on('error', (e: Error & { code?: string, syscall?: string }) => {
        slot.outOfFiles = outOfFiles(e)
        slot.cause = e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `worker ran out of memory (heap limit ${this.opts.heapMb} MB; raise it with --worker-heap-mb)`
          : e.syscall === 'uv_cwd' ? `the current directory no longer exists (${e.message}); cd to one that does` : `worker crashed: ${e.message}`
      })
      worker.on('exit', (code) => this.exited(slot, code, resolve, reject))
    })
  }

  /**
   * A message from slot's worker: it started (`started`) or failed to (`failed`), is exiting,
   * read input, failed outside any task, or ended its task.
   */
  private message (slot: Slot, msg: FromWorker, started: () => void, failed: (e: Error) => void): void {
    slot.lastProgress = Date.now()
    if (msg.type === 'ready') { slot.ready = true; started(); this.dispatch(); this.wake(); return }
    if (msg.type === 'exiting') { slot.cause = msg.cause; return }
    if (msg.type === 'progress') {
      const task = slot.task
      if (task !== undefined && task.id === msg.task && (msg.bytes !== undefined || msg.records !== undefined)) {
        task.read += msg.bytes ?? 0
        task.records += msg.records ?? 0
        this.opts.onRead?.(msg.bytes ?? 0, msg.records ?? 0)
      }
      return
    }
    if (msg.task === -1 && msg.type === 'failed') {
      const err = fromErrorData(msg.error)
      failed(msg.outOfFiles === true ? new OutOfFiles(err.code, err.message, err.place) : err)
      return
    }
    if (msg.task === OUTSIDE_TASKS && msg.type === 'failed') { this.fatal?.(fromErrorData(msg.error)); return }
    const task = slot.task
    if (task === undefined || task.id !== msg.task) return
    if (msg.type === 'done') return this.done(slot, task, msg)
    const err = fromErrorData(msg.error)
    task.reject(err)
    this.fatal?.(err)
  }

  /** Slot's task ended: its result to the task, the slot to the next. */
  private done (slot: Slot, task: Task, msg: TaskResult): void {
    slot.task = undefined
    task.slot = undefined
    let long = 0 // (bytes of chunks that hold long lines: see garbage.ts)
    for (const chunk of task.chunks) if (chunk.data.byteLength > LARGE_CHUNK) long += chunk.data.byteLength
    task.chunks = []
    if (long > 0) largeGarbage(long)
    const { runs, output, counters, user, bad, notes } = msg
    task.resolve({ runs, ...(output !== undefined ? { output } : {}), counters, user, bad, ...(notes === undefined ? {} : { notes }) })
    this.wake()
    this.dispatch()
  }

  /**
   * Slot's worker exited: before it started, its start failed (`failed`; `started` when the
   * pool had closed); after, its task is tried again on another and a worker starts in its place.
   */
  private exited (slot: Slot, code: number, started: () => void, failed: (e: Error) => void): void {
    this.slots = this.slots.filter(s => s !== slot)
    // (a replacement still starting when the pool closed is no failure: the tasks are done)
    if (this.closed && !slot.ready) { started(); return }
    if (!slot.ready) {
      const Failed = slot.outOfFiles ? OutOfFiles : MrstreamError
      failed(new Failed('MRS_ERR_JOB_LOAD', `a worker failed to start: ${slot.cause ?? `exit code ${code}`}`, { phase: 'job' }))
      return
    }
    if (this.closed) return
    const task = slot.task
    if (task !== undefined) this.retry(task, slot.cause ?? `worker exited with code ${code} (process.exit called?)`)
    this.dispatch() // the retry to an idle worker, if one is free,
    this.grow() // else to one started in the dead one's place
  }

  private retry (task: Task, cause: string): void {
    task.slot = undefined
    this.opts.onRead?.(-task.read, -task.records) // (the next attempt reads it again)
    task.read = 0
    task.records = 0
    if (task.attempts >= this.opts.maxAttempts) {
      const err = new MrstreamError('MRS_ERR_TASK_FAILED', `${task.describe()} failed ${task.attempts} times; last cause: ${cause}`)
      task.reject(err)
      this.fatal?.(err)
      return
    }
    this.opts.onRetry(task, cause)
    this.queue.unshift(task)
  }

  private dispatch (): void {
    if (this.closed) return
    for (const slot of this.slots) {
      if (this.queue.length === 0) return
      if (!slot.ready || slot.task !== undefined) continue
      const task = this.queue.shift()!
      task.attempts++
      task.slot = slot
      slot.task = task
      slot.lastProgress = Date.now()
      slot.cause = undefined
      slot.worker.postMessage(task.start(task.attempts))
      for (const chunk of task.chunks) slot.worker.postMessage({ type: 'chunk', task: task.id, chunk } satisfies ToWorker)
      if (task.ended) slot.worker.postMessage({ type: 'end', task: task.id } satisfies ToWorker)
    }
  }

  private wake (): void {
    const w = this.waiters.splice(0)
    for (const fn of w) fn()
  }

  private checkTimeouts (): void {
    const now = Date.now()
    for (const slot of this.slots) {
      const beats = Atomics.load(slot.beats, 0)
      if (beats !== slot.seen) {
        slot.seen = beats
        slot.lastProgress = now
      }
      if ((slot.task !== undefined || !slot.ready) && now - slot.lastProgress > this.opts.taskTimeoutMs) {
        // (a start that never ends, a job's module waiting forever as it loads, fails the job)
        slot.cause = slot.ready ? `no progress for ${this.opts.taskTimeoutMs / 1000} s (--task-timeout)` : `it did not load the job within ${this.opts.taskTimeoutMs / 1000} s (--task-timeout)`
        slot.lastProgress = now
        void slot.worker.terminate()
      }
    }
  }
}
