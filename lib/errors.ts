// One table of stable error codes. Codes are never reused; each maps to an exit code.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { packageUrl } from './paths.js'

export const codes = {
  MRS_ERR_USAGE: { exit: 2, what: 'bad option or argument' },
  MRS_ERR_JOB_LOAD: { exit: 2, what: 'job file missing, unreadable or broken' },
  MRS_ERR_JOB_SHAPE: { exit: 2, what: 'job module lacks map/reduce or exports the wrong types' },
  MRS_ERR_JOB_UNSHIPPABLE: { exit: 2, what: 'a job given to the library as an object that worker threads cannot load (not made with defineJob() in a module file)' },
  MRS_ERR_KEY: { exit: 2, what: 'a key of an unsupported type was emitted' },
  MRS_ERR_VALUE: { exit: 1, what: 'a value the engine cannot carry unchanged was emitted (or given as a record)' },
  MRS_ERR_INPUT: { exit: 1, what: 'an input is missing, unreadable or a directory' },
  MRS_ERR_PARSE: { exit: 1, what: 'a record could not be parsed (ndjson, csv)' },
  MRS_ERR_LINE_TOO_LONG: { exit: 1, what: 'a line is longer than --max-line-bytes' },
  MRS_ERR_MAP: { exit: 1, what: 'the job\'s map threw' },
  MRS_ERR_COMBINE: { exit: 1, what: 'the job\'s combine threw or emitted another key' },
  MRS_ERR_REDUCE: { exit: 1, what: 'the job\'s reduce threw' },
  MRS_ERR_RUN_CORRUPT: { exit: 1, what: 'a spilled run is truncated or corrupted' },
  MRS_ERR_IO: { exit: 1, what: 'reading or writing a file failed (disk full, permissions)' },
  MRS_ERR_TASK_FAILED: { exit: 1, what: 'a task failed on every attempt (worker crash, out of memory, timeout)' },
  MRS_ERR_TOO_MANY_BAD_RECORDS: { exit: 1, what: 'more bad records than --max-bad-records allows' },
  MRS_ERR_UNSORTED: { exit: 1, what: 'a streaming combine or reduce read input not sorted by key' },
  MRS_ERR_CALLBACK: { exit: 1, what: 'the job\'s code threw, or emitted, after its map/combine/reduce call returned (a callback or promise it did not await)' },
  MRS_ERR_INTERRUPTED: { exit: 130, what: 'interrupted by a signal' },
  MRS_ERR_ABORTED: { exit: 130, what: 'stopped by the library\'s caller (an AbortSignal, destroy(), leaving a for await loop)' },
} as const

export type ErrorCode = keyof typeof codes

export interface ErrorPlace {
  phase?: 'input' | 'map' | 'combine' | 'spill' | 'merge' | 'reduce' | 'output' | 'job'
  file?: string
  line?: number
  column?: number
  key?: unknown
}

export class MrstreamError extends Error {
  readonly code: ErrorCode
  readonly place: ErrorPlace
  constructor (code: ErrorCode, message: string, place: ErrorPlace = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'MrstreamError'
    this.code = code
    this.place = place
  }

  get exitCode (): number { return codes[this.code].exit }
}

/** Whether e, or an error it was caused by, is a want of file descriptors (EMFILE, ENFILE). */
export function outOfFiles (e: unknown): boolean {
  for (let c = e, depth = 0; c instanceof Error && depth < 8; c = c.cause, depth++) {
    const code = (c as NodeJS.ErrnoException).code
    if (code === 'EMFILE' || code === 'ENFILE') return true
    // a worker thread that could not open its event loop's descriptors
    if (code === 'ERR_WORKER_INIT_FAILED' && /\bE[MN]FILE\b/.test(c.message)) return true
  }
  return false
}

export function isMrstreamError (e: unknown): e is MrstreamError {
  return e instanceof MrstreamError
}

/**
 * A failed write to `path` (MRS_ERR_IO): "cannot write", or what was being done (`doing`), a
 * full disk said in words, and the errno code.
 */
export function writeError (e: unknown, path: string, phase: NonNullable<ErrorPlace['phase']>, doing = 'write'): MrstreamError {
  const err = e as NodeJS.ErrnoException
  const why = err.code === 'ENOSPC' ? 'No space left on device' : err.message
  return new MrstreamError('MRS_ERR_IO', `${phase}: cannot ${doing} ${path}: ${why}${err.code ? ` (${err.code})` : ''}`, { phase, file: path }, e)
}

/** What a bad record over --max-bad-records fails the job with: the record's own error when none are allowed. */
export function overBadRecordLimit (err: MrstreamError, max: number): MrstreamError {
  if (max === 0) return err
  return new MrstreamError('MRS_ERR_TOO_MANY_BAD_RECORDS', `more than --max-bad-records ${max} bad records; the last: ${err.message}`, err.place)
}

/** A readable one-line description of anything thrown, never `[object Object]`. */
export function describeThrown (e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`
  if (typeof e === 'string') return e
  try {
    const json = JSON.stringify(e)
    if (json !== undefined && json !== '{}') return `thrown ${typeof e}: ${json}`
  } catch {}
  const s = String(e)
  const keys = e !== null && typeof e === 'object' ? Object.keys(e) : []
  return s === '[object Object]' ? `thrown ${Object.prototype.toString.call(e).slice(8, -1)} object${keys.length > 0 ? ` with keys ${keys.join(', ')}` : ' (empty)'}` : `thrown ${typeof e}: ${s}`
}

// the built engine (dist/lib and dist/bin)
const engineDir = new URL('dist/', packageUrl).pathname
// with --enable-source-maps, engine frames point into the TypeScript sources instead
const engineSourceDir = new URL('lib/', packageUrl).pathname
const engineBinDir = new URL('bin/', packageUrl).pathname

/**
 * A job's bundle (lib/hadoop/bundle.ts) is one file, engine and job: there, the engine's
 * frames are the line ranges its last line lists (`//# mrstream-engine-lines=FROM-TO,...`),
 * read when a stack is first looked at.
 */
let bundle: { url: string, path: string, engine?: Array<[number, number]> } | undefined

export function useBundleFrames (url: string): void {
  bundle = { url, path: fileURLToPath(url) }
}

/** The engine's lines of a bundle, from its last line. */
export function bundleEngineLines (text: string): Array<[number, number]> {
  const m = /\/\/# mrstream-engine-lines=([\d,-]*)\s*$/.exec(text)
  if (m === null) return []
  return m[1]!.split(',').filter(Boolean).map(r => r.split('-').map(Number) as [number, number])
}

function engineFrame (l: string): boolean {
  if (bundle === undefined) return l.includes(engineDir) || l.includes(engineSourceDir) || l.includes(engineBinDir)
  const b = bundle
  const at = l.indexOf(b.url) !== -1 ? l.indexOf(b.url) + b.url.length : l.indexOf(b.path) !== -1 ? l.indexOf(b.path) + b.path.length : -1
  if (at === -1) return false
  if (b.engine === undefined) {
    try { b.engine = bundleEngineLines(readFileSync(b.path, 'utf8').slice(-4096)) } catch { b.engine = [] }
  }
  const line = Number(/^:(\d+)/.exec(l.slice(at))?.[1])
  return b.engine.some(([from, to]) => line >= from && line <= to)
}

/** What a job threw, with the job's own stack frames (never the engine's) indented below. */
export function describeUserError (e: unknown): string {
  const frames = userFrames(e)
  return describeThrown(e) + (frames.length > 0 ? '\n    ' + frames.slice(0, 8).join('\n    ') : '')
}

/** The job's own stack frames: lines of `stack` that are not the engine's nor Node's internals. */
export function userFrames (e: unknown): string[] {
  if (!(e instanceof Error) || typeof e.stack !== 'string') return []
  return e.stack.split('\n').slice(1)
    .map(l => l.trim())
    .filter(l => l.startsWith('at ') && !engineFrame(l) && !l.includes('node:internal') && !l.includes('node_modules/tsx') && !/\bat (new Promise|Generator\.next|Array\.forEach) \(<anonymous>\)/.test(l))
}

/** The task a worker's `failed` message names for an error thrown outside the job's calls (worker.ts). */
export const OUTSIDE_TASKS = -2

/** An emit after the map or reduce call it was given to returned. */
export class LateEmitError extends Error {}

/**
 * What an uncaught exception or unhandled rejection is when the job's code threw it outside its
 * calls (a callback or promise they did not await: job frames, a late emit, or a thrown
 * non-Error); undefined for the engine's own, which stay crashes (a worker's task is retried).
 */
export function outsideError (e: unknown): MrstreamError | undefined {
  // (inline -m/-r functions are eval'd in the engine's module: their frames say "eval at")
  if (!(e instanceof LateEmitError) && e instanceof Error && userFrames(e).length === 0 && !/\beval at /.test(e.stack ?? '')) return undefined
  return new MrstreamError('MRS_ERR_CALLBACK', `the job's code ${e instanceof LateEmitError ? 'emitted' : 'threw'} after its map, combine or reduce call returned (in a callback or promise it did not await?): ${describeUserError(e)}`)
}

/** Serializable form for crossing a worker boundary. */
export interface ErrorData { code: ErrorCode, message: string, place: ErrorPlace }

export function toErrorData (e: MrstreamError): ErrorData {
  return { code: e.code, message: e.message, place: e.place }
}

export function fromErrorData (d: ErrorData): MrstreamError {
  return new MrstreamError(d.code, d.message, d.place)
}

/** A record skipped under --max-bad-records, as reported to the user. */
export interface BadRecord { file: string, line: number, phase: string, error: string, record: string }

/** Edit distance (insertions, deletions, substitutions) between a and b. */
export function editDistance (a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = row
  }
  return prev[b.length]!
}

/** The candidate nearest to `word` within `most` edits (the first of equals), for a "did you mean". */
export function closest (word: string, candidates: Iterable<string>, most = 2): string | undefined {
  let best: string | undefined
  let bestDistance = most + 1
  for (const c of candidates) {
    const d = editDistance(word, c)
    if (d < bestDistance) { best = c; bestDistance = d }
  }
  return best
}
