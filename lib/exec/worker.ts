// A worker thread: loads the job once, then runs the tasks the pool sends it, one at a time.
// Everything a task produces (runs, fragments, counters) is reported only when it is done, so
// that the pool can drop a failed attempt whole.
import { parentPort, workerData } from 'node:worker_threads'
import { LateEmitError, MrstreamError, OUTSIDE_TASKS, describeUserError, outOfFiles, outsideError, toErrorData } from '../errors.js'
import { isMapOnly, loadWorkerJob, type Context, type Job, type JobSource } from '../job/job.js'
import type { OutputFormat } from '../output/format.js'
import { describeExit, exit, guardExit, redirectWorkerOutput } from '../job/guard.js'
import { MapTask } from '../map/map-task.js'
import { mergeRuns } from '../runs/merge.js'
import { reduceTask, type ReduceSpec } from '../reduce/reduce-task.js'
import { UserCounters } from '../counters.js'
import { setHeartbeat } from './heartbeat.js'
import { settleGarbage } from './garbage.js'
import type { Chunk, Format } from '../input/records.js'
import { chunksOfSplit, type Split } from '../input/splits.js'

export interface WorkerConfig {
  job: JobSource
  format: Format
  budget: number
  maxBadRecords: number
  bufferBytes: number
  /** Read size for a map task's splits. */
  chunkBytes: number
  maxLineBytes: number
  tmpDir: string
  /** The step's output lines (a map-only job's map tasks write them). */
  outputFormat: OutputFormat
}

/** What a worker is started with: the job's config, and its heartbeat counter (heartbeat.ts). */
export interface WorkerData extends WorkerConfig {
  beats: Int32Array
}

export type ToWorker =
  | { type: 'map', task: number, attempt: number, badSoFar: number, splits?: Split[] }
  | { type: 'chunk', task: number, chunk: Chunk }
  | { type: 'end', task: number }
  | { type: 'merge', task: number, attempt: number, runs: string[], out: string }
  | { type: 'reduce', task: number, attempt: number, spec: ReduceSpec, badSoFar: number }

const port = parentPort!
const config = workerData as WorkerData
let job: Job
let current: { task: number, map: MapTask, queue: Promise<void>, failed: boolean } | undefined
// a task's sort buffer starts the way the previous task's ended (indexing or appending):
// keys that were all distinct in one split likely are in the next
let appendNext = false

function fail (task: number, e: unknown): void {
  const err = e instanceof MrstreamError ? e : e instanceof LateEmitError ? outsideError(e)! : new MrstreamError('MRS_ERR_TASK_FAILED', `internal error: ${describeUserError(e)}`)
  port.postMessage({ type: 'failed', task, error: toErrorData(err), ...(task === -1 && outOfFiles(e) ? { outOfFiles: true } : {}) })
}

function mapStart (msg: Extract<ToWorker, { type: 'map' }>): void {
  let spill = 0
  const map = new MapTask({
    job,
    format: config.format,
    budget: config.budget,
    maxBadRecords: config.maxBadRecords,
    maxLineBytes: config.maxLineBytes,
    badSoFar: msg.badSoFar,
    nextRunPath: () => `${config.tmpDir}/map-${msg.task}-a${msg.attempt}-s${spill++}.run`,
    append: appendNext,
    ...(isMapOnly(job) ? { output: { path: `${config.tmpDir}/map-${msg.task}-a${msg.attempt}.out`, format: config.outputFormat } } : {}),
  })
  current = { task: msg.task, map, queue: Promise.resolve(), failed: false }
}

function mapChunk (chunk: Chunk): void {
  const c = current!
  c.queue = c.queue.then(async () => {
    if (c.failed) return
    try {
      const before = c.map.counters.records
      await c.map.chunk(chunk)
      port.postMessage({ type: 'progress', task: c.task, records: c.map.counters.records - before })
    } catch (e) {
      c.failed = true
      fail(c.task, e)
    }
  })
}

const PROGRESS_BYTES = 8 << 20
const PROGRESS_MS = 100

/** A task over splits reads its input itself, then ends. */
function mapSplits (splits: Split[]): void {
  const c = current!
  c.queue = c.queue.then(async () => {
    try {
      // progress every PROGRESS_BYTES or PROGRESS_MS: a message a chunk (of 256 KB then) cost 2%
      // of a 1 GiB log job's worker time
      let bytes = 0
      let sentRecords = 0
      let sent = Date.now()
      const counters = c.map.counters
      for (const split of splits) {
        for (const chunk of chunksOfSplit(split, config.chunkBytes, config.maxLineBytes)) {
          await c.map.chunk(chunk)
          bytes += chunk.data.byteLength
          if (bytes >= PROGRESS_BYTES || Date.now() - sent >= PROGRESS_MS) {
            port.postMessage({ type: 'progress', task: c.task, bytes, records: counters.records - sentRecords })
            sentRecords = counters.records
            bytes = 0
            sent = Date.now()
          }
        }
      }
      if (bytes > 0) port.postMessage({ type: 'progress', task: c.task, bytes, records: counters.records - sentRecords })
    } catch (e) {
      c.failed = true
      fail(c.task, e)
    }
  })
  mapEnd()
}

/**
 * Lets the callbacks a task's job code left run before its task ends (a timer of 0 ms, a
 * promise): what they emit is the task's, what they throw fails it (see `outside`) and reaches
 * the engine before the task's result, so a job never finishes without it.
 */
async function settle (): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, 1))
}

function mapEnd (): void {
  const c = current!
  c.queue = c.queue.then(async () => {
    if (c.failed) return
    await settle()
    try {
      const { runs, output } = c.map.finish()
      appendNext = c.map.appends
      port.postMessage({ type: 'done', task: c.task, runs, ...(output !== undefined ? { output } : {}), counters: c.map.counters, user: [...c.map.user.values], bad: c.map.bad })
    } catch (e) {
      fail(c.task, e)
    }
    current = undefined
    settleGarbage() // (a worker at rest would keep its task's large records: garbage.ts)
  })
}

function context (user: UserCounters): Context {
  return { file: '', line: 0, count: (name: string, n = 1) => user.add(name, n) }
}

async function onMessage (msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'map':
      mapStart(msg)
      if (msg.splits !== undefined) mapSplits(msg.splits)
      return
    case 'chunk': return mapChunk(msg.chunk)
    case 'end': return mapEnd()
    case 'merge': {
      const user = new UserCounters()
      try {
        const run = mergeRuns(msg.runs, msg.out, job.combine, context(user), config.bufferBytes)
        port.postMessage({ type: 'done', task: msg.task, runs: [run], counters: {}, user: [...user.values], bad: [] })
      } catch (e) { fail(msg.task, e) }
      settleGarbage()
      return
    }
    case 'reduce': {
      const user = new UserCounters()
      try {
        const { counters, bad, notes } = await reduceTask(job, msg.spec, context(user), { maxBadRecords: config.maxBadRecords, badSoFar: msg.badSoFar })
        await settle()
        port.postMessage({ type: 'done', task: msg.task, runs: [], counters, user: [...user.values], bad, notes })
      } catch (e) { fail(msg.task, e) }
      settleGarbage()
    }
  }
}

// An error the job's code threw outside any map, combine or reduce call: from a callback or a
// promise the job's function did not await. Ignored, it would drop what the callback did; a
// retry would hide it: the job fails, naming it. The engine's own stay crashes (retried).
const outside = (e: unknown): void => {
  const err = outsideError(e)
  if (err === undefined) {
    process.off('uncaughtException', outside)
    throw e
  }
  port.postMessage({ type: 'failed', task: OUTSIDE_TASKS, error: toErrorData(err) })
}
process.on('uncaughtException', outside)
process.on('unhandledRejection', outside)

// the job's console output goes to stderr: stdout is the job's output
redirectWorkerOutput()
// The job's process.exit ends this worker, as a crash does (its task is retried), naming the call.
guardExit(code => {
  port.postMessage({ type: 'exiting', cause: describeExit(code) })
  return exit(typeof code === 'number' ? code : 1)
})

setHeartbeat(config.beats)

try {
  job = await loadWorkerJob(config.job)
  port.on('message', (msg: ToWorker) => { void onMessage(msg) })
  port.postMessage({ type: 'ready' })
} catch (e) {
  fail(-1, e)
}
