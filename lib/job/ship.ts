// How a job given as an object reaches the worker threads. Functions cannot be sent to a
// thread, so each worker imports the module that made the job, as the main thread did:
// - a job made with defineJob() is known by its module and by how many defineJob() calls that
//   module's loading made before it (`index`): loading the module again in a worker makes the
//   same calls in the same order, and the worker takes the index-th one's job;
// - a module namespace (`import * as job from './job.js'`) is known by its module's URL, which
//   node:inspector gives from where its map function is defined.
// A worker loads the module for its job only: mrstream's run(), mapReduce() and runJob() never
// return in a worker thread, so a module that defines a job and then runs it does not run it
// again in every worker (what comes before the call does run there).
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { isMainThread } from 'node:worker_threads'
import { MrstreamError } from '../errors.js'

/** Where a worker finds a job made with defineJob(): the index-th call made while `module` loaded. */
export interface Defined { module: string, index: number }

/** A job made with defineJob(), or why a worker could not make it again. */
type Mark = Defined | { why: string }

// Symbol.for and a global: a job module may load its own copy of mrstream (tsx loads a
// TypeScript job's imports apart), and every copy must see the same marks and counts.
const require = createRequire(import.meta.url)
const MARK = Symbol.for('mrstream.defined')
const STATE = Symbol.for('mrstream.jobs')

interface State {
  /** defineJob() calls made so far, by module. */
  counts: Map<string, number>
  /** In a worker: the job it loads, and what to do when it is made (or when the module runs a job). */
  wanted?: { module: string, index: number, found: (job: object) => void, ran: (what: string, job: unknown) => void }
  /** In a worker: set once the worker has its job (a later run() call only waits). */
  loaded?: boolean
}

function state (): State {
  const g = globalThis as unknown as Record<symbol, State | undefined>
  return (g[STATE] ??= { counts: new Map() })
}

/** The module whose loading is making this call (see `loadingModule`), or why there is none. */
export function markDefined (job: object, caller: (...args: never[]) => unknown): object {
  const where = loadingModule(caller)
  let mark: Mark
  if (typeof where === 'string') {
    const st = state()
    const index = st.counts.get(where) ?? 0
    st.counts.set(where, index + 1)
    mark = { module: where, index }
    const w = st.wanted
    if (w !== undefined && w.module === where && w.index === index) w.found(job)
  } else {
    mark = where
  }
  const target = Object.isExtensible(job) ? job : { ...job }
  Object.defineProperty(target, MARK, { value: mark, enumerable: false, configurable: true })
  return target
}

/** The mark defineJob() left on a job, if any. */
export function definedMark (job: object): Mark | undefined {
  return (job as Record<symbol, Mark | undefined>)[MARK]
}

interface CallSite {
  getFileName (): string | null | undefined
  getLineNumber (): number | null
}

/**
 * The module (a file: URL, without its query) being loaded whose top-level code led to this
 * call: the innermost frame of a file whose caller is Node's module loader (or none: the rest
 * of a module's code after a top-level await). A call from a callback (a timer, a request)
 * has no such frame: a worker loading the module would never make it.
 */
function loadingModule (caller: (...args: never[]) => unknown): string | { why: string } {
  const prepare = Error.prepareStackTrace
  const limit = Error.stackTraceLimit
  const holder: { stack?: CallSite[] } = {}
  let all: CallSite[]
  try {
    Error.stackTraceLimit = Infinity
    Error.prepareStackTrace = (_e, sites) => sites
    Error.captureStackTrace(holder, caller)
    all = holder.stack ?? [] // (made when first read: while prepareStackTrace is ours)
  } finally {
    Error.prepareStackTrace = prepare
    Error.stackTraceLimit = limit
  }
  // (frames of native code, such as Array.prototype.map's, have no file)
  const sites = all.filter(s => typeof s.getFileName() === 'string')
  const first = sites[0]
  if (first === undefined) return { why: 'it was made where no stack trace shows its module' }
  for (let i = 0; i < sites.length; i++) {
    const file = sites[i]!.getFileName()!
    if (file.startsWith('node:')) continue
    const url = moduleUrl(file)
    if (url === undefined) return { why: `it was made in ${file}, which is no module file a worker thread can load` }
    const next = sites[i + 1]?.getFileName() ?? undefined
    if (next === undefined || next.startsWith('node:internal/modules/')) return url
  }
  const at = `${first.getFileName()!}:${first.getLineNumber() ?? 0}`
  return { why: `defineJob() was called at ${at} from a callback (a timer, an event, a request), not while its module loaded, so a worker thread loading that module would not make it` }
}

/** A module's file as a file: URL without query or hash; undefined for code with no file (eval, the REPL). */
function moduleUrl (file: string): string | undefined {
  if (file.startsWith('file:')) {
    const url = new URL(file)
    url.search = ''
    url.hash = ''
    return url.href
  }
  if (file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(file)) return pathToFileURL(file).href
  return undefined
}

/**
 * The URL of the module where a function is defined (node:inspector: the function's location,
 * then which script that is), for a module namespace's functions. Undefined where
 * node:inspector is missing or the function has no file.
 */
export function functionModule (fn: (...args: never[]) => unknown): string | undefined {
  let inspector: typeof import('node:inspector')
  try {
    inspector = require('node:inspector') as typeof import('node:inspector')
  } catch {
    return undefined
  }
  const session = new inspector.Session()
  session.connect()
  const key = Symbol.for('mrstream.locate')
  const g = globalThis as unknown as Record<symbol, unknown>
  try {
    // (a session on this thread answers at once: post's callback runs before post returns)
    const post = <T> (method: string, params: object): T => {
      let out: T | undefined
      let err: Error | null = null
      session.post(method, params, (e: Error | null, r?: object) => { err = e; out = r as T })
      if (err !== null) throw err
      return out!
    }
    g[key] = fn
    const { result } = post<{ result: { objectId?: string } }>('Runtime.evaluate', { expression: 'globalThis[Symbol.for("mrstream.locate")]' })
    const props = post<{ internalProperties?: Array<{ name: string, value?: { value?: { scriptId: string } } }> }>('Runtime.getProperties', { objectId: result.objectId, ownProperties: true })
    const scriptId = props.internalProperties?.find(p => p.name === '[[FunctionLocation]]')?.value?.value?.scriptId
    if (scriptId === undefined) return undefined
    let url: string | undefined
    session.on('Debugger.scriptParsed', (m: { params: { scriptId: string, url: string } }) => { if (m.params.scriptId === scriptId) url = m.params.url })
    post('Debugger.enable', {})
    post('Debugger.disable', {})
    return url === undefined ? undefined : moduleUrl(url)
  } catch {
    return undefined
  } finally {
    delete g[key]
    session.disconnect()
  }
}

/**
 * In a worker: loads `module` (with `load`) until its index-th defineJob() call, and takes that
 * call's job; the module's loading need not end (its code may go on to run the job, which waits
 * forever here).
 */
export async function loadDefined (source: Defined, load: (url: string) => Promise<unknown>): Promise<object> {
  const st = state()
  const made = st.counts.get(source.module) ?? 0
  if (made > source.index) throw new MrstreamError('MRS_ERR_JOB_LOAD', `cannot load the job made by defineJob() in ${source.module}: that module was loaded in this worker before`, { phase: 'job' })
  return await new Promise<object>((resolve, reject) => {
    const name = fileURLToPath(source.module)
    st.wanted = {
      ...source,
      found: job => { st.loaded = true; resolve(job) },
      ran: what => reject(new MrstreamError('MRS_ERR_JOB_LOAD', `job module ${name} calls ${what} while it loads, before it makes the job: define the job before that call, or in a module of its own`, { phase: 'job', file: name })),
    }
    load(source.module).then(() => {
      const count = st.counts.get(source.module) ?? 0
      reject(new MrstreamError('MRS_ERR_JOB_LOAD', `job module ${name}: loading it in a worker thread made ${count} defineJob() call(s), not the ${ordinal(source.index + 1)} that made the job; call defineJob() at the top level of the module (the same calls every time it loads)`, { phase: 'job', file: name }))
    }, reject)
  })
}

/**
 * In a worker loading a job module (a file's, not a defineJob() job's): what to do when that
 * module runs a job while it loads (it would wait forever).
 */
export function onRunWhileLoading (ran: ((what: string, job: unknown) => void) | undefined): void {
  const st = state()
  if (ran === undefined) { st.wanted = undefined; st.loaded = true; return }
  st.wanted = { module: '', index: -1, found: () => {}, ran }
}

function ordinal (n: number): string {
  return n === 1 ? '1st' : n === 2 ? '2nd' : n === 3 ? '3rd' : `${n}th`
}

/**
 * Called by run(), mapReduce() and runJob() first: true in a worker thread of mrstream's, where
 * they must do nothing and never end (the worker loads the module only for its job). Tells a
 * worker still loading its job module that the module ran a job.
 */
export function inWorker (what: string, job: unknown): boolean {
  if (isMainThread) return false
  const st = (globalThis as unknown as Record<symbol, State | undefined>)[STATE]
  if (st === undefined || (st.wanted === undefined && st.loaded !== true)) return false
  if (st.loaded !== true) st.wanted?.ran(what, job)
  return true
}

/**
 * Whether `job` is the job module `caller`'s module is loading now (a module that runs itself:
 * loading it again, to get its job, would wait for itself).
 */
export function runsItself (file: string, caller: (...args: never[]) => unknown): boolean {
  const where = loadingModule(caller)
  return typeof where === 'string' && where === pathToFileURL(file).href
}
