// defineJob(): a job in the caller's own module, typed, and marked so that worker threads can
// make it again (job/ship.ts).
import { MrstreamError } from '../errors.js'
import { checkStep, type Job } from '../job/job.js'
import { markDefined } from '../job/ship.js'
import type { Key } from '../codec/keys.js'

/**
 * Makes a job from its functions, in any module, and types it: what `map` emits is what
 * `reduce` (and `combine`) receive, and `reduce`'s return is the output's value type.
 * Call it at the top level of a module (worker threads load that module to make the job again):
 *
 * ```ts
 * export const count = defineJob({
 *   map (line: string, emit) { for (const w of line.split(' ')) if (w) emit(w, 1) },
 *   reduce (word: string, ones: Iterable<number>) { let n = 0; for (const x of ones) n += x; return n },
 * })
 * ```
 */
export function defineJob<R = any, K extends Key = any, V = any, O = any> (job: Job<R, K, V, O>): Job<R, K, V, O> {
  if (job === null || typeof job !== 'object') throw new MrstreamError('MRS_ERR_JOB_SHAPE', `defineJob(job): expected an object with map and reduce functions, got ${job === null ? 'null' : typeof job}`, { phase: 'job' })
  checkStep(job as unknown as Record<string, unknown>, 'given to defineJob()', '')
  return markDefined(job, defineJob) as Job<R, K, V, O>
}
