// run(): the job's output as an async iterable of [key, value] pairs, over files, a stream or
// an iterable of records. Leaving the loop early (break, return, a throw) stops the job.
import { MrstreamError } from '../errors.js'
import { inWorker } from '../job/ship.js'
import { inputsOf, type RunInput } from './input.js'
import { shipJob, type JobRef } from './job.js'
import { JobRun, aborted, type Stats } from './job-run.js'
import { librarySettings, onAbort, type LibraryOptions } from './options.js'
import type { Job } from '../job/job.js'
import type { OutputFormat } from '../options.js'

export interface RunOptions extends LibraryOptions {
  /**
   * What the job reads: a file's path or file: URL, or an array of them (read as the command
   * line reads its inputs); or one stream of records: a Node Readable, a highland stream, an
   * async iterable or an iterable (with `format`, of bytes to cut into records).
   */
  input: RunInput
}

/** The output of run(): iterate it once; `stats` settles when the job ends. */
export interface RunOutput<T = [any, any]> extends AsyncIterable<T> {
  readonly stats: Promise<Stats>
}

/**
 * Runs a job over `options.input`; its output pairs, in key order, as an async iterable.
 *
 * ```js
 * for await (const [path, n] of run(count, { input: ['logs/a.log.gz', 'logs/b.log'] })) console.log(path, n)
 * ```
 */
export function run (job: Job | JobRef, options: RunOptions & { outputFormat: OutputFormat }): RunOutput<Buffer>
export function run<R, K, V, O> (job: Job<R, K, V, O> | JobRef, options: RunOptions): RunOutput<[K, O]>
export function run (job: Job | JobRef, options: RunOptions): RunOutput<unknown> {
  if (inWorker('run()', job)) return { stats: new Promise(() => {}), [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => {}) }) }
  if (options === null || typeof options !== 'object' || !('input' in options)) throw new MrstreamError('MRS_ERR_USAGE', 'run(job, options): options.input is required (file paths, a Readable or an iterable of records)')
  const set = librarySettings(options, ['input'])
  const shipped = shipJob(job)
  const inputs = inputsOf(options.input, options.format)
  const job_ = new JobRun(shipped, set, inputs, options.outputFormat ?? 'pairs')
  let iterating = false
  return {
    stats: job_.stats,
    [Symbol.asyncIterator] () {
      if (iterating) throw new MrstreamError('MRS_ERR_USAGE', 'run()\'s output can be iterated once')
      iterating = true
      return pairsOf(job_, options.signal)
    },
  }
}

/** The pairs, block by block; stops the job when the loop is left early or the signal aborts. */
async function * pairsOf (job: JobRun, signal: AbortSignal | undefined): AsyncGenerator<unknown> {
  let ended = false
  const unlisten = onAbort(signal, reason => { void job.stop(aborted(reason)) })
  try {
    for (let block = await job.next(); block !== null; block = await job.next()) {
      if (Buffer.isBuffer(block)) yield block
      else yield * block
    }
    ended = true
  } finally {
    unlisten()
    if (!ended) await job.stop(aborted())
  }
}
