// runJob(): a job over records in memory, through the same engine, for the job's own tests.
// By default the budget is the smallest there is and there are 2 workers, and the records are
// cut into at least two map tasks: spills, merges and task boundaries happen even on a few
// records, so a job that relies on seeing all of a key's values at once in map, or on one map
// task, fails here rather than on real data.
import { MrstreamError } from '../errors.js'
import { inWorker } from '../job/ship.js'
import { packValue } from '../codec/values.js'
import { shipJob, type JobRef } from './job.js'
import { JobRun, aborted, type Stats } from './job-run.js'
import { librarySettings, onAbort, type LibraryOptions } from './options.js'
import type { Job } from '../job/job.js'

export interface RunJobResult<K = any, O = any> extends Stats {
  /** The output pairs, in key order. */
  pairs: Array<[K, O]>
}

const TINY = { memory: 32 * 1024, workers: 2 }

/**
 * Runs `job` over `records` (strings, or objects as ndjson records would be) and resolves to
 * its output pairs and counters. Options are run()'s; the defaults differ: `memory` 32KB,
 * `workers` 2.
 *
 * ```js
 * t.same((await runJob(count, ['a b', 'b'])).pairs, [['a', 1], ['b', 2]])
 * ```
 */
export async function runJob<R, K, V, O> (
  job: Job<R, K, V, O> | JobRef, records: Iterable<R> | AsyncIterable<R>, options: LibraryOptions = {}
): Promise<RunJobResult<K, O>> {
  if (inWorker('runJob()', job)) return await new Promise(() => {})
  const set = librarySettings({ ...TINY, ...options })
  if (options.format !== undefined || options.outputFormat !== undefined) throw new MrstreamError('MRS_ERR_USAGE', 'runJob(): records are given as they are, and pairs come out: format and outputFormat are run()\'s and mapReduce()\'s')
  const shipped = shipJob(job)
  if (records === null || typeof records !== 'object' || (typeof (records as Iterable<R>)[Symbol.iterator] !== 'function' && typeof (records as AsyncIterable<R>)[Symbol.asyncIterator] !== 'function')) {
    throw new MrstreamError('MRS_ERR_USAGE', 'runJob(job, records): records must be an array or an (async) iterable')
  }
  const all: unknown[] = []
  for await (const r of records) all.push(r)
  const split = splitTasks(all)
  const run = new JobRun(shipped, set, [{ name: '-', records: batches(all) }], 'pairs', split)
  const unlisten = onAbort(options.signal, reason => { void run.stop(aborted(reason)) })
  try {
    const pairs: Array<[K, O]> = []
    for (let block = await run.next(); block !== null; block = await run.next()) pairs.push(...(block as Array<[K, O]>))
    return { pairs, ...await run.stats }
  } finally {
    unlisten()
  }
}

async function * batches (records: unknown[]): AsyncGenerator<unknown[]> {
  yield records
}

/**
 * Sizes that cut the records into about 2 map tasks of about 4 chunks each (a record is a
 * chunk's at least): how big the records are once packed, as the map tasks get them.
 */
function splitTasks (records: unknown[]): { taskBytes: number, chunkBytes: number } {
  let bytes = 0
  for (const r of records) {
    try {
      bytes += typeof r === 'string' ? Buffer.byteLength(r) + 1 : packValue(r).length
    } catch {} // (refused, named, when the chunk is made)
  }
  return { taskBytes: Math.max(1, Math.ceil(bytes / 2)), chunkBytes: Math.max(1, Math.floor(bytes / 8)) }
}
