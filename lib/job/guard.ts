// What a job's code does to the process it runs in, kept apart from the run. What it prints
// (its console; in a worker thread or a streaming command also process.stdout.write) goes to
// stderr, each line prefixed, so that it never mixes with the output: stdout holds the data,
// or a streaming command's protocol. Its process.exit is a failure that names it, never mrstream ending as if
// the job had succeeded, nor ending without a word.
import { Console } from 'node:console'
import { writeSync } from 'node:fs'
import { Writable } from 'node:stream'
import { userFrames } from '../errors.js'

const JOB_PREFIX = 'mrstream: job: '

/** The job's stdout output, to stderr with each line prefixed. */
export class JobOutput extends Writable {
  private lineStart = true

  /** `sync`: written at once to fd 2 (a worker thread's process.stderr reaches it later, through the main thread, or never if the worker is ended first). */
  constructor (private readonly sync: boolean) { super() }

  override _write (chunk: Buffer | string, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8')
    let out = ''
    let from = 0
    while (from < text.length) {
      if (this.lineStart) out += JOB_PREFIX
      const nl = text.indexOf('\n', from)
      const to = nl === -1 ? text.length : nl + 1
      out += text.slice(from, to)
      this.lineStart = nl !== -1
      from = to
    }
    if (!this.sync) { process.stderr.write(out, () => done()); return }
    try {
      writeSync(2, out)
    } catch {} // (stderr closed: the job's output is dropped, not the job)
    done()
  }
}

/**
 * The console's output (log, info, error, table, ...) to stderr, prefixed, on this thread: a
 * streaming command runs the job's functions on the main thread, and a job module's top-level
 * code runs there too when it is loaded.
 */
export function redirectConsole (): void {
  const out = new JobOutput(false)
  setConsole(out, out)
}

/** In a worker thread: the console and process.stdout to stderr, prefixed, at once (fd 2). */
export function redirectWorkerOutput (): void {
  const out = redirectStdout(true)
  setConsole(out, out)
}

/**
 * process.stdout to stderr, prefixed: for a process whose own stdout output does not go
 * through it (a worker thread's goes to the main thread's; a streaming command writes fd 1).
 */
export function redirectStdout (sync: boolean): JobOutput {
  const out = new JobOutput(sync)
  Object.defineProperty(process, 'stdout', { value: out, configurable: true, enumerable: true, writable: true })
  return out
}

function setConsole (stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): void {
  const job = new Console({ stdout, stderr })
  const target = console as unknown as Record<string, unknown>
  for (const [name, fn] of Object.entries(job)) if (typeof fn === 'function') target[name] = fn
}

/** process.exit as it was: the engine's own exits. */
export const exit: (code?: number) => never = process.exit.bind(process)

/** What process.exit throws while a job module loads. */
export class JobExit extends Error {
  constructor (readonly exitCode: number | string | null | undefined) {
    super(`the job called ${exitCall(exitCode)}`)
    this.name = 'JobExit'
  }
}

function exitCall (code: number | string | null | undefined): string {
  return `process.exit(${code === undefined ? '' : String(code)})`
}

/** "the job called process.exit(N)", with the job's frame that called it. */
export function describeExit (code: number | string | null | undefined): string {
  const at = userFrames(new Error('exit'))[0]
  return `the job called ${exitCall(code)}${at === undefined ? '' : ` ${at}`}`
}

/** From now on, process.exit called by anyone but the engine (the job's code) calls onExit instead. */
export function guardExit (onExit: (code: number | string | null | undefined) => never): void {
  process.exit = onExit as typeof process.exit
}

/**
 * Loads a job module (`load`) with process.exit throwing JobExit: its top-level code stops there,
 * and the load fails, also when the code caught what was thrown.
 */
export async function loadWithoutExit<T> (load: () => Promise<T>): Promise<T> {
  const guarded = process.exit
  let called: JobExit | undefined
  process.exit = ((code?: number | string | null) => {
    called ??= new JobExit(code)
    throw called
  }) as typeof process.exit
  try {
    const got = await load()
    if (called !== undefined) throw called
    return got
  } finally {
    process.exit = guarded
  }
}
