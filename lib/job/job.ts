// Load and check a job module (ESM, CommonJS or TypeScript), or build one from inline
// expressions (-m/-r). Runs in the main thread (to fail fast, exit 2) and in every worker.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import Module, { createRequire } from 'node:module'
import { extname, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { LateEmitError, MrstreamError, describeThrown, describeUserError, editDistance, outsideError } from '../errors.js'
import { KeyError, showKey } from '../codec/keys.js'
import { ValueError } from '../codec/values.js'
import { onePassHint } from '../reduce/mistakes.js'
import { JobExit, loadWithoutExit } from './guard.js'
import { functionModule, loadDefined, onRunWhileLoading, type Defined } from './ship.js'
import { isSum, sum, sumCombine } from './sum.js'
import { field, words } from './fields.js'
import { builtins } from './builtins.js'
import { libModule, mainModule } from '../paths.js'
import type { MapFn, ReduceFn, Job } from './types.js'

export { sum }
export { builtinReducers, identity, isIdentity, top } from './builtins.js'

export type { Context, Emit, MapFn, ReduceFn, Job } from './types.js'

/** A map-only job (or step): no reduce, so no sort either (Hadoop: -numReduceTasks 0). */
export function isMapOnly (job: Job): boolean {
  return job.reduce === undefined || job.reduce === null
}

/**
 * Where a worker finds the job: a module file (and which of its `steps`), a job made with
 * defineJob() (ship.ts), or inline expressions.
 */
export type JobSource = { file: string, step?: number } | Defined | { map: string, reduce?: string, combine?: string }

/** The job's steps: one for a plain job, several for `export const steps = [a, b]`. */
export async function loadSteps (source: JobSource): Promise<Job[]> {
  if ('module' in source) return [checkStep(await loadDefined(source, url => importJob(fileURLToPath(url))) as Record<string, unknown>, 'made by defineJob()', fileURLToPath(source.module))]
  if ('file' in source) return jobSteps(await importJob(source.file), source.file)
  return [inlineJob(source)]
}

export async function loadJob (source: JobSource): Promise<Job> {
  const steps = await loadSteps(source)
  return steps['file' in source ? source.step ?? 0 : 0]!
}

/**
 * loadJob in a worker thread: a job module that runs a job while it loads (mrstream's run()
 * never returns in a worker, see ship.ts) fails to load, named, rather than load forever;
 * unless what it runs is its own namespace (`run(self)`), which is then its job.
 */
export async function loadWorkerJob (source: JobSource): Promise<Job> {
  if (!('file' in source)) return await loadJob(source)
  const file = source.file
  try {
    return await new Promise<Job>((resolve, reject) => {
      onRunWhileLoading((what, job) => {
        const ns = job as Record<string, unknown> | null
        if (ns !== null && Object.prototype.toString.call(ns) === '[object Module]' && typeof ns.map === 'function' && functionModule(ns.map as () => unknown) === pathToFileURL(file).href) {
          try { resolve(jobSteps(ns, file)[source.step ?? 0]!) } catch (e) { reject(e) }
          return
        }
        reject(new MrstreamError('MRS_ERR_JOB_LOAD', `job module ${file} calls ${what} while it loads: keep the code that runs a job out of the job's module, or make the job with defineJob()`, { phase: 'job', file }))
      })
      loadJob(source).then(resolve, reject)
    })
  } finally {
    onRunWhileLoading(undefined)
  }
}

const NAMES_SELF = /(["'])mrstream\1/
let selfRegistered = false

/**
 * A job that imports 'mrstream' gets the running one where Node finds no package of that name
 * (a Hadoop task's directory: self-resolve.ts). ES modules through a resolve hook; a TypeScript
 * job that tsx compiles to CommonJS requires it, and Node 20 has no hook for require, so its
 * resolver is wrapped the same way (falling back only where it would throw).
 */
/** Whether Node finds a package named mrstream from the job's directory (an install of the job's own). */
function resolvesFrom (path: string): boolean {
  try {
    createRequire(path).resolve('mrstream')
    return true
  } catch {
    return false
  }
}

function resolveSelf (): void {
  // (module.register is Node 20.6+: before it, ES module jobs need the package where they are)
  Module.register?.(libModule('job/self-resolve.js'), { data: { url: mainModule.href } })
  const cjs = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string }
  const resolveFilename = cjs._resolveFilename
  cjs._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    try {
      return resolveFilename.call(this, request, ...rest)
    } catch (e) {
      if (request === 'mrstream') return fileURLToPath(mainModule)
      throw e
    }
  }
  selfRegistered = true
}

export function resolveJobFile (file: string): string {
  const path = resolve(file)
  if (!existsSync(path)) throw new MrstreamError('MRS_ERR_JOB_LOAD', `job file not found: ${file}`, { phase: 'job', file })
  if (statSync(path).isDirectory()) throw new MrstreamError('MRS_ERR_JOB_LOAD', `job file is a directory: ${file}`, { phase: 'job', file })
  return path
}

/** Job modules being imported now (bin/mrstream.ts names a load that never ends). */
let loading = 0
export function loadingJob (): boolean { return loading > 0 }

/**
 * Throws where the current directory is gone (removed under a shell still in it): Node reads
 * it when a module loads, and tsx's loader thread, dying of it, left the import waiting forever.
 */
function checkDirectory (file: string): void {
  try {
    process.cwd()
  } catch (e) {
    throw new MrstreamError('MRS_ERR_JOB_LOAD', `cannot load job ${file}: the current directory no longer exists (${(e as Error).message}); cd to one that does`, { phase: 'job', file }, e)
  }
}

async function importJob (file: string): Promise<Record<string, unknown>> {
  checkDirectory(file)
  const path = resolveJobFile(file)
  loading++
  try {
    if (!selfRegistered && NAMES_SELF.test(readFileSync(path, 'latin1')) && !resolvesFrom(path)) resolveSelf()
    if (/^\.[mc]?ts$/.test(extname(path))) {
      const { tsImport } = await import('tsx/esm/api')
      return await loadWithoutExit(() => tsImport(pathToFileURL(path).href, import.meta.url))
    }
    return await loadWithoutExit(() => import(pathToFileURL(path).href))
  } catch (e) {
    throw new MrstreamError('MRS_ERR_JOB_LOAD', `cannot load job ${file}: ${describeLoadError(e, path)}`, { phase: 'job', file }, e)
  } finally {
    loading--
  }
}

function describeLoadError (e: unknown, path: string): string {
  if (!(e instanceof Error) || typeof e.stack !== 'string') return describeThrown(e)
  const esbuild = transformErrors(e)
  if (esbuild !== undefined) return esbuild
  const msg = e instanceof JobExit ? e.message : describeThrown(e)
  // Node puts the place of a syntax error first in the stack: "file:///x.mjs:3"; else the
  // first frame in the job (after the message, which may name the file itself)
  const url = pathToFileURL(path).href
  const lines = e.stack.split('\n')
  const first = lines[0] ?? ''
  const frames = lines.slice(`${e.name}: ${e.message}`.split('\n').length)
  const at = first.startsWith(url) || first.startsWith(path) ? first.replace(url, path) : (frames.find(l => l.includes(url) || l.includes(path)) ?? '').trim().replace(url, path)
  if (at) return `${msg} (${at.replace(/^at /, '')})`
  if (e instanceof SyntaxError) {
    // Node keeps an ES module's syntax error position out of the stack; `node --check` prints it.
    const check = spawnSync(process.execPath, ['--check', path], { encoding: 'utf8' })
    const where = (check.stderr ?? '').split('\n')[0] ?? ''
    if (where.startsWith(path + ':')) return `${msg} (${where})`
  }
  return msg
}

/**
 * A TypeScript job's syntax errors, as tsx's esbuild reports them ("Transform failed with 1
 * error:\nFILE:LINE:COL: ERROR: text", the column from 0): one `FILE:LINE:COL: text` each, the
 * column from 1 as editors count. Undefined for any other error.
 */
function transformErrors (e: Error): string | undefined {
  if (e.name !== 'TransformError' && !e.message.startsWith('Transform failed with ')) return undefined
  const errors = e.message.split('\n').slice(1).map(l => l.replace(/^(.*):(\d+):(\d+): ERROR: /, (_, f: string, l: string, c: string) => `${f}:${l}:${Number(c) + 1}: `))
  return errors.length === 0 ? undefined : `syntax error: ${errors.join('\n')}`
}

/** A job module's steps, checked: one for a plain job, several for `export const steps = [a, b]`. */
export function jobSteps (ns: Record<string, unknown>, file: string): Job[] {
  // named exports, `export default {...}`, or `module.exports` (whose named exports Node may
  // detect only in part, so prefer the candidate that has both functions)
  const candidates = [ns, ns.default, (ns.default as Record<string, unknown> | undefined)?.default]
  const has = (c: unknown, name: string): boolean => c !== null && typeof c === 'object' && typeof (c as Record<string, unknown>)[name] === 'function'
  const chain = candidates.find(c => c !== null && typeof c === 'object' && Array.isArray((c as Record<string, unknown>).steps)) as { steps: unknown[] } | undefined
  if (chain !== undefined && !has(chain, 'map')) {
    if (chain.steps.length === 0) throw new MrstreamError('MRS_ERR_JOB_SHAPE', `job ${file}: \`steps\` is empty`, { phase: 'job', file })
    return chain.steps.map((step, i) => checkStep(step as Record<string, unknown>, `${file} step ${i + 1}`, file))
  }
  const mod = (candidates.find(c => has(c, 'map') && has(c, 'reduce')) ?? candidates.find(c => has(c, 'map'))) as Record<string, unknown> | undefined
  if (mod === undefined) {
    const steps = candidates.map(c => lookalike(c, 'steps')).find(k => k !== undefined)
    if (steps !== undefined) throw new MrstreamError('MRS_ERR_JOB_SHAPE', `job ${file}: it exports no \`map\` function, and an array \`${steps}\`: did you mean \`steps\` (a chain of jobs)?`, { phase: 'job', file })
  }
  return [checkStep(mod ?? candidates.find(c => lookalike(c, 'map') !== undefined) as Record<string, unknown> | undefined, file, file)]
}

const JOB_FUNCTIONS = ['map', 'reduce', 'combine', 'partition'] as const
const RENAMED = ['r', 'er', 'per', 'fn', 'func', 'function']

/**
 * The export of `mod` that looks like `name` misspelt or renamed (`reducer`, `Map`, `mapper`,
 * `combineFn`, `reduse`) when `mod` has no `name`: a function, or for `steps` an array.
 */
function lookalike (mod: unknown, name: string): string | undefined {
  if (mod === null || typeof mod !== 'object') return undefined
  const m = mod as Record<string, unknown>
  if (m[name] !== undefined) return undefined
  const keys = Object.keys(m).filter(k => !(JOB_FUNCTIONS as readonly string[]).includes(k) && (name === 'steps' ? Array.isArray(m[k]) : typeof m[k] === 'function'))
  // (`map` is too short for edit distance: `max`, `sum` and `top` are near it)
  return keys.find(k => k.toLowerCase() === name || RENAMED.some(s => k.toLowerCase() === name + s)) ??
    (name.length > 3 ? keys.find(k => editDistance(k.toLowerCase(), name) <= 2) : undefined)
}

export function checkStep (mod: Record<string, unknown> | undefined, name: string, file: string): Job {
  const shape = (why: string): MrstreamError => new MrstreamError('MRS_ERR_JOB_SHAPE', `job ${name}: ${why}`, { phase: 'job', file })
  const meant = (fn: string): string => {
    const like = lookalike(mod, fn)
    return like === undefined ? '' : `, but exports \`${like}\`: did you mean \`${fn}\`?`
  }
  if (mod === null || typeof mod !== 'object' || typeof mod.map !== 'function') {
    throw shape(`it exports no \`map\` function${meant('map') || '; export map(record, emit, ctx) and reduce(key, values, emit, ctx)'}`)
  }
  for (const fn of ['reduce', 'combine', 'partition'] as const) {
    const f = mod[fn]
    if (fn === 'reduce' && f === undefined && meant(fn) !== '') throw shape(`it exports no \`reduce\` function${meant(fn)}`)
    if (f !== undefined && typeof f !== 'function' && !(fn === 'reduce' && f === null)) {
      throw shape(`\`${fn}\` must be a function${fn === 'reduce' ? ' (or null, for a map-only job)' : ''}`)
    }
    // an optional function under another name would be left out without a word
    const like = f === undefined ? lookalike(mod, fn) : undefined
    if (like !== undefined) throw shape(`it exports \`${like}\`, which mrstream never calls: did you mean \`${fn}\`? (rename it, or do not export it)`)
  }
  const groupBy = mod.groupBy
  if (groupBy !== undefined && (typeof groupBy !== 'number' || !Number.isInteger(groupBy) || groupBy < 1)) {
    throw new MrstreamError('MRS_ERR_JOB_SHAPE', `job ${name}: \`groupBy\` must be a whole number >= 1 (how many leading key elements form a group); got ${showKey(groupBy)}`, { phase: 'job', file })
  }
  const job = mod as unknown as Job
  if (!isMapOnly(job)) {
    // sum reduces exactly what sum combined exactly (sum.ts); a reduce of the job's own gets numbers
    return isSum(job.combine) && isSum(job.reduce) ? { ...job, reduce: sum, combine: sumCombine } : job
  }
  // a map-only job (a misspelt reduce was named above): what only a reduce would use is a mistake
  const what = { combine: 'combiner', partition: 'partitions', groupBy: 'groups' } as const
  for (const fn of ['combine', 'partition', 'groupBy'] as const) {
    if (mod[fn] !== undefined) throw shape(`\`${fn}\` without \`reduce\`: a map-only job has no ${what[fn]}; export reduce too, or drop ${fn}`)
  }
  return job
}

function inlineJob (source: { map: string, reduce?: string, combine?: string }): Job {
  const map = evalFunction(source.map, '--map')
  if (source.reduce === undefined) return { map: map as unknown as MapFn }
  const named = builtins[source.reduce]
  const reduce = named?.reduce ?? evalFunction(source.reduce, '--reduce')
  if (named?.combine !== undefined && source.combine !== undefined) {
    throw new MrstreamError('MRS_ERR_USAGE', `-r ${source.reduce} brings its own combine; leave out --combine (or give -r as an expression)`)
  }
  const combine = named?.combine ?? (source.combine === undefined ? undefined : evalFunction(source.combine, '--combine'))
  return combine === undefined ? { map: map as unknown as MapFn, reduce } : { map: map as unknown as MapFn, reduce, combine }
}

function evalFunction (expr: string, option: string): ReduceFn {
  let fn: unknown
  try {
    // -m/-r take a function expression on the command line, made in the global scope with
    // field and words (fields.ts) in reach
    // eslint-disable-next-line no-new-func -- the expression is the user's job, as a job file is
    fn = new Function('field', 'words', `return (${expr}\n)`)(field, words)
  } catch (e) {
    throw new MrstreamError('MRS_ERR_JOB_LOAD', `${option} ${JSON.stringify(expr)} is not a valid expression: ${describeThrown(e instanceof SyntaxError ? syntaxError(expr) ?? e : e)}`, { phase: 'job' }, e)
  }
  if (typeof fn !== 'function') throw new MrstreamError('MRS_ERR_JOB_SHAPE', `${option} must be a function expression, e.g. '(line, emit) => emit(line, 1)'`, { phase: 'job' })
  return fn as ReduceFn
}

/**
 * The syntax error of the expression on its own (in a function body, the parser names the
 * body's closing brace: "Unexpected token '}'" where the expression has "Unexpected end of
 * input"), from an arrow function around it that is made, never called.
 */
function syntaxError (expr: string): unknown {
  try {
    // eslint-disable-next-line no-eval -- parsed, and an arrow made that is never called
    (0, eval)(`(() => (${expr}\n))`)
  } catch (e) {
    return e
  }
  return undefined
}

/** What a job's function threw, named as the engine names it (map at FILE:LINE, reduce for key K). */
export function jobError (e: unknown, phase: 'map' | 'combine' | 'reduce', subject: string, place: MrstreamError['place'], misused?: string): MrstreamError {
  if (e instanceof MrstreamError) return e
  // an emit another call left, called from this one: the job's error, not this record's
  if (e instanceof LateEmitError) return outsideError(e)!
  const at = phase === 'map' ? 'at' : 'for'
  // (a call that read values.length or values[0] likely failed for it: the one-pass rule)
  const hint = misused === undefined ? '' : `\n  (${onePassHint(misused)})`
  if (e instanceof KeyError) return new MrstreamError('MRS_ERR_KEY', `${phase} ${at} ${subject}: ${e.message}${hint}`, place)
  if (e instanceof ValueError) return new MrstreamError('MRS_ERR_VALUE', `${phase} ${at} ${subject}: ${e.message}${hint}`, place)
  const code = phase === 'map' ? 'MRS_ERR_MAP' : phase === 'combine' ? 'MRS_ERR_COMBINE' : 'MRS_ERR_REDUCE'
  return new MrstreamError(code, `${phase} failed ${at} ${subject}: ${describeUserError(e)}${hint}`, place, e)
}
