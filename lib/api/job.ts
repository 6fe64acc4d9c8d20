// What the library takes as a job, and how each kind reaches the worker threads (job/ship.ts):
// a module's path or file: URL (loaded as --job FILE is), a module namespace (its module's
// file), or an object made with defineJob() (its module, and which of its defineJob() calls).
// Anything else, a plain { map, reduce } object above all, fails at once, saying what to do.
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MrstreamError } from '../errors.js'
import { packageUrl } from '../paths.js'
import { jobSteps, resolveJobFile, type Job, type JobSource } from '../job/job.js'
import { definedMark, functionModule, runsItself } from '../job/ship.js'

/** A job: a module's path or URL, a module namespace, or an object made with defineJob(). */
export type JobRef = string | URL | Job | object

/** A job as the engine takes it; `steps` (checked) when the main thread need not load it. */
export interface ShippedJob { source: JobSource, steps?: Job[] }

// mrstream's own modules (dist/: compiled and bundled)
const OWN = new URL('dist/', packageUrl).href

const HOW = 'make it with defineJob() at the top level of a module (export const job = defineJob({ map, reduce })), or pass its module: a path, a file: URL, or the namespace of `import * as job from \'./job.js\'`'

export function shipJob (job: unknown): ShippedJob {
  if (typeof job === 'string' || job instanceof URL) {
    const file = resolveJobFile(modulePath(job))
    if (runsItself(file, shipJob)) throw new MrstreamError('MRS_ERR_JOB_UNSHIPPABLE', `job module ${file} runs itself while it loads, and would wait for itself to load: pass its namespace (import * as job from './this-module.js'), or ${HOW.slice(0, HOW.indexOf(', or pass'))}`, { phase: 'job', file })
    return { source: { file } }
  }
  if (job === null || (typeof job !== 'object' && typeof job !== 'function')) {
    throw new MrstreamError('MRS_ERR_JOB_SHAPE', `expected a job (a module's path or URL, a module namespace, or an object made with defineJob()), got ${job === null ? 'null' : typeof job}`, { phase: 'job' })
  }
  const mark = definedMark(job)
  if (mark !== undefined) return fromMark(mark, job as Job)
  if (Object.prototype.toString.call(job) === '[object Module]') return fromNamespace(job as Record<string, unknown>)
  const fns = job as Record<string, unknown>
  if (typeof fns.map === 'function' || typeof fns.reduce === 'function') {
    throw new MrstreamError('MRS_ERR_JOB_UNSHIPPABLE', `this job object's functions cannot be sent to worker threads: ${HOW}`, { phase: 'job' })
  }
  throw new MrstreamError('MRS_ERR_JOB_SHAPE', 'expected a job (a module\'s path or URL, a module namespace, or an object made with defineJob()); this object has no map function', { phase: 'job' })
}

function fromMark (mark: NonNullable<ReturnType<typeof definedMark>>, job: Job): ShippedJob {
  if ('why' in mark) throw new MrstreamError('MRS_ERR_JOB_UNSHIPPABLE', `this job cannot be made in worker threads: ${mark.why}; ${HOW}`, { phase: 'job' })
  return { source: mark, steps: [job] }
}

/** A path, or a file: URL (as a string or a URL), as a path (relative to the working directory). */
function modulePath (ref: string | URL): string {
  const text = ref instanceof URL ? ref.href : ref
  if (/^[a-z][a-z0-9+.-]+:/i.test(text) && !/^[a-z]:[\\/]/i.test(text)) {
    if (!text.startsWith('file:')) throw new MrstreamError('MRS_ERR_JOB_LOAD', `job ${text}: only file: URLs can be loaded by worker threads`, { phase: 'job', file: text })
    return fileURLToPath(text)
  }
  return resolve(text)
}

/**
 * A namespace's job (as --job finds it in a module: named exports, a default export, or
 * `steps`), from its module's file: where its map is defined. A default export made with
 * defineJob() is taken by its mark.
 */
function fromNamespace (ns: Record<string, unknown>): ShippedJob {
  const steps = jobSteps(ns, 'given as a module namespace')
  for (const candidate of [ns.default, (ns.default as Record<string, unknown> | undefined)?.default]) {
    if (candidate !== null && typeof candidate === 'object' && definedMark(candidate) !== undefined && steps[0] === candidate) return fromMark(definedMark(candidate)!, candidate as Job)
  }
  // (reduce: sum and the like are mrstream's own: where the job's map and reduce are)
  const located = steps.flatMap(step => [step.map, step.reduce].map(f => functionModule(f as () => unknown)))
  const files = new Set(located.filter(url => url === undefined || !url.startsWith(OWN)))
  const [url] = files
  if (files.size !== 1 || url === undefined) {
    const why = url === undefined ? 'its functions were not found in a module file' : 'its functions are defined in several modules'
    throw new MrstreamError('MRS_ERR_JOB_UNSHIPPABLE', `this module namespace's job cannot be loaded by worker threads (${why}): pass the path or file: URL of the module that defines map and reduce, or ${HOW.slice(0, HOW.indexOf(', or pass'))}`, { phase: 'job' })
  }
  return { source: { file: fileURLToPath(url) }, steps }
}
