// The job's options: their names, defaults and checks, in one place for the command line
// (`--max-bad-records 5`, strings) and the library (`{ maxBadRecords: 5 }`, numbers or strings).
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { MrstreamError, closest } from './errors.js'
import { userFormats, type UserFormat } from './input/formats.js'

/** How input bytes are cut into records (the library also takes records as they are). */
export type InputFormat = UserFormat
export type OutputFormat = 'tsv' | 'ndjson'

export const outputFormats: readonly OutputFormat[] = ['tsv', 'ndjson']

/**
 * The options of a run, camel-cased from the command line's (`--tmp-dir` is `tmpDir`), all
 * optional. Sizes are bytes, or strings such as '64KB', '256MB' or '2GiB' (K, M, G are powers of
 * 1024, as in `sort -S`).
 */
export interface JobOptions {
  /** Budget for buffered pairs (and input held for retries); default 256MB, at least 32KB. */
  memory?: number | string
  /** Worker threads; default: the number of CPUs. */
  workers?: number
  /** Where the private temp directory is made; default: the OS temp directory. */
  tmpDir?: string
  /** How every input's bytes are cut into records; default: by each file's extension (.csv, .ndjson, .jsonl), else lines. */
  format?: InputFormat
  /** Output lines: 'tsv' (default) or 'ndjson'. */
  outputFormat?: OutputFormat
  /** Records whose map/reduce throws or that fail to parse, skipped before the job fails; default 0. */
  maxBadRecords?: number
  /** The longest line accepted; default 64MB. */
  maxLineBytes?: number | string
  /** Seconds a task may go silent before it is retried; default 600, 0 for never. */
  taskTimeout?: number
  /** Runs merged at once; default 64, fewer under a low `ulimit -n`. */
  fanIn?: number
  /** Each worker's V8 heap limit in MB; default twice its share of the buffers + 64, at least 256. */
  workerHeapMb?: number
}

/** The options checked, in the units the engine uses. */
export interface Settings {
  memory: number
  workers: number
  tmpDir: string | undefined
  /** undefined: each input by its name (input/formats.ts) */
  format: InputFormat | undefined
  outputFormat: OutputFormat
  maxBadRecords: number
  maxLineBytes: number
  taskTimeoutMs: number
  fanIn: number
  heapMb: number | undefined
}

export const optionNames: ReadonlyArray<keyof JobOptions> = ['memory', 'workers', 'tmpDir', 'format', 'outputFormat', 'maxBadRecords', 'maxLineBytes', 'taskTimeout', 'fanIn', 'workerHeapMb']

const MIN_MEMORY = 32 * 1024
// each worker is a V8 isolate of its own (tens of MB): more than a few per CPU only costs memory
const MAX_WORKERS = 1024

export const defaults = {
  memory: 256 * 1024 ** 2,
  workers: (): number => availableParallelism(),
  outputFormat: 'tsv' as OutputFormat,
  maxBadRecords: 0,
  maxLineBytes: 64 * 1024 ** 2,
  taskTimeout: 600,
  fanIn: defaultFanIn,
}

/**
 * Checks the options and fills in the defaults. `flag` names an option in messages: the
 * command line passes `tmpDir => '--tmp-dir'`; the library's messages use the camel-cased name.
 */
export function settings (o: { [K in keyof JobOptions]?: JobOptions[K] | string }, flag: (name: keyof JobOptions) => string = name => name): Settings {
  const memory = o.memory === undefined ? defaults.memory : size(o.memory, flag('memory'))
  if (memory < MIN_MEMORY) throw new MrstreamError('MRS_ERR_USAGE', `${flag('memory')} ${show(o.memory)}: at least ${MIN_MEMORY / 1024}KB`)
  const workers = o.workers === undefined ? defaults.workers() : count(o.workers, flag('workers'), 1, MAX_WORKERS)
  if (o.tmpDir !== undefined && (typeof o.tmpDir !== 'string' || o.tmpDir === '')) throw new MrstreamError('MRS_ERR_USAGE', `${flag('tmpDir')} ${show(o.tmpDir)}: expected a directory's path`)
  return {
    memory,
    workers,
    tmpDir: o.tmpDir,
    format: o.format === undefined ? undefined : parseChoice(o.format, flag('format'), userFormats),
    outputFormat: o.outputFormat === undefined ? defaults.outputFormat : parseChoice(o.outputFormat, flag('outputFormat'), outputFormats),
    maxBadRecords: o.maxBadRecords === undefined ? defaults.maxBadRecords : count(o.maxBadRecords, flag('maxBadRecords'), 0),
    maxLineBytes: o.maxLineBytes === undefined ? defaults.maxLineBytes : size(o.maxLineBytes, flag('maxLineBytes')),
    taskTimeoutMs: 1000 * (o.taskTimeout === undefined ? defaults.taskTimeout : count(o.taskTimeout, flag('taskTimeout'), 0)),
    fanIn: o.fanIn === undefined ? defaults.fanIn(workers) : count(o.fanIn, flag('fanIn'), 2),
    heapMb: o.workerHeapMb === undefined ? undefined : count(o.workerHeapMb, flag('workerHeapMb'), 16),
  }
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4 }

function show (v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v)
}

/** "256MB", "2GiB", "64k", "1000" → bytes (K/M/G are powers of 1024, as in sort -S). */
export function parseSize (text: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined
  if (!m || unit === undefined) throw new MrstreamError('MRS_ERR_USAGE', `${option} ${JSON.stringify(text)}: expected a size like 64KB, 256MB or 2GiB`)
  return Math.floor(Number(m[1]) * unit)
}

/** A size given as a string (parseSize) or a number of bytes. */
function size (v: unknown, option: string): number {
  if (typeof v === 'string') return parseSize(v, option)
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new MrstreamError('MRS_ERR_USAGE', `${option} ${show(v)}: expected a number of bytes, or a size like 64KB, 256MB or 2GiB`)
  return v
}

export function parseCount (text: string, option: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  return count(text, option, min, max)
}

/** A whole number in [min, max], given as a number or (the command line) as its digits. */
function count (v: unknown, option: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) throw new MrstreamError('MRS_ERR_USAGE', `${option} ${show(v)}: expected a whole number >= ${min}`)
  if (n > max) throw new MrstreamError('MRS_ERR_USAGE', `${option} ${show(v)}: at most ${max}`)
  return n
}

export function parseChoice<T extends string> (text: unknown, option: string, choices: readonly T[]): T {
  if (!(choices as readonly unknown[]).includes(text)) throw new MrstreamError('MRS_ERR_USAGE', `${option} ${show(text)}: expected one of ${choices.join(', ')}`)
  return text as T
}

/**
 * Runs merged at once: 64, fewer when `ulimit -n` is low (every worker may hold that many runs
 * open, besides the main thread's files). An extra merge pass rewrites all the data: on a
 * 1 GB word count, 24 runs took one at a fan-in of 16 and none at 64.
 */
function defaultFanIn (workers: number): number {
  let open = 1024
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))
    if (m) open = Number(m[1])
  } catch {} // not Linux: assume 1024
  return Math.max(2, Math.min(64, Math.floor((open - 32) / workers)))
}

/** An option's name on the command line: tmpDir is --tmp-dir. */
export function flag (name: keyof JobOptions): string {
  return '--' + name.replace(/[A-Z]/g, c => '-' + c.toLowerCase())
}

export type OptionsTable = NonNullable<ParseArgsConfig['options']>

type Parsed<O extends OptionsTable> = ReturnType<typeof parseArgs<{ args: string[], options: O, allowPositionals: true }>>

/** parseArgs, with an unknown option named as a usage error, and the known one nearest to it. */
export function parseOptions<O extends OptionsTable> (args: string[], options: O): Parsed<O> {
  try {
    return parseArgs({ args, options, allowPositionals: true })
  } catch (e) {
    const unknown = /^Unknown option '(-[^']*)'/.exec((e as Error).message)?.[1]
    if ((e as { code?: string }).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || unknown === undefined) throw e
    const near = unknown.startsWith('--') ? closest(unknown, Object.keys(options).map(o => `--${o}`)) : undefined
    throw new MrstreamError('MRS_ERR_USAGE', `unknown option ${unknown}${near === undefined ? '' : `: did you mean ${near}?`}`)
  }
}
