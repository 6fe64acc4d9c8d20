// One end-to-end case: a job and its inputs written to a fresh directory, run through the engine
// under some settings, and compared byte for byte with the oracle.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import fc from 'fast-check'
import { loadJob, oracle, type InputFile, type OutputFormat } from '../oracle.js'
import { type JobSource, writeJob } from './jobs.js'
import { cleanEnv, runCli, runMain, type RunResult } from './run.js'

/**
 * How to run the engine: `main` calls `main(argv, io)` in this process; `cli` spawns the built
 * binary without tap's NODE_OPTIONS. Under tap, worker threads inherit the test process's loader
 * hooks (ts-node, coverage), which made one tiny in-process run take 3.6-8.5 s against 0.2-0.3 s
 * outside tap (measured with 1-3 workers); the property tests need the CLI's speed.
 * MRS_RUNNER=main|cli overrides a test file's choice.
 */
export type Runner = 'main' | 'cli'

export function pickRunner (fallback: Runner): Runner {
  const r = process.env.MRS_RUNNER
  return r === 'main' || r === 'cli' ? r : fallback
}

export interface Settings {
  memory: string
  workers: number
  outputFormat?: OutputFormat
  /** Write with `-o FILE` instead of stdout. */
  toFile?: boolean
}

export interface CaseInput {
  /** File bytes, in command-line order; at most one is given as stdin (`-`). */
  files: Buffer[]
  /** Names to use (extension matters: `.gz`); default `in<i>.txt`. */
  names?: string[]
  stdinIndex?: number
}

export interface Outcome {
  argv: string[]
  result: RunResult
  output: Buffer
  tmpLeft: string[]
}

/** A scratch directory per case, kept when the case fails (its path is in the message). */
export class Scratch {
  readonly dir: string
  constructor (prefix = 'mrstream-test-') {
    this.dir = mkdtempSync(join(tmpdir(), prefix))
  }

  remove (): void { rmSync(this.dir, { recursive: true, force: true }) }
}

export interface PreparedCase {
  dir: string
  jobPath: string
  inputArgs: string[]
  inputs: InputFile[]
  stdin?: Buffer
}

export function prepare (dir: string, job: JobSource, input: CaseInput): PreparedCase {
  const jobPath = writeJob(join(dir, 'job'), job)
  mkdirSync(join(dir, 'in'), { recursive: true })
  const inputArgs: string[] = []
  const inputs: InputFile[] = []
  let stdin: Buffer | undefined
  input.files.forEach((bytes, i) => {
    if (i === input.stdinIndex) {
      inputArgs.push('-')
      inputs.push({ name: '-', bytes })
      stdin = bytes
      return
    }
    const p = join(dir, 'in', input.names?.[i] ?? `in${i}.txt`)
    writeFileSync(p, bytes)
    inputArgs.push(p)
    inputs.push({ name: p, bytes })
  })
  return { dir, jobPath, inputArgs, inputs, stdin }
}

export async function expected (c: PreparedCase, format: OutputFormat = 'tsv'): Promise<Buffer> {
  return oracle(await loadJob(c.jobPath), c.inputs, format)
}

let runNo = 0

/** Runs the engine on a prepared case; checks nothing, returns what happened. */
export async function runCase (c: PreparedCase, s: Settings, extra: string[] = [], runner: Runner = pickRunner('main')): Promise<Outcome> {
  const n = runNo++
  const tmp = join(c.dir, `tmp${n}`)
  mkdirSync(tmp)
  const argv = ['--job', c.jobPath, '--memory', s.memory, '--workers', String(s.workers), '-q', '--tmp-dir', tmp]
  if (s.outputFormat && (s.outputFormat !== 'tsv' || n % 2 === 0)) argv.push('--output-format', s.outputFormat)
  const outFile = join(c.dir, `out${n}.txt`)
  if (s.toFile) argv.push('-o', outFile)
  argv.push(...extra, ...c.inputArgs)
  const result = runner === 'main' ? await runMain(argv, { stdin: c.stdin }) : await runCli(argv, { stdin: c.stdin, env: cleanEnv() })
  let output = result.stdout
  if (s.toFile && result.code === 0) {
    try { output = readFileSync(outFile) } catch (e) { output = Buffer.from(`<no output file: ${(e as Error).message}>`) }
    if (result.stdout.length > 0) output = Buffer.concat([Buffer.from('<stdout not empty with -o>'), output])
  }
  let tmpLeft: string[]
  try { tmpLeft = readdirSync(tmp) } catch { tmpLeft = ['<tmp dir itself removed>'] }
  return { argv, result, output, tmpLeft }
}

/** The first line where two outputs differ, for a readable failure. */
export function firstDifference (actual: Buffer, wanted: Buffer): string {
  const a = actual.toString('utf8').split('\n')
  const w = wanted.toString('utf8').split('\n')
  for (let i = 0; i < Math.max(a.length, w.length); i++) {
    if (a[i] !== w[i]) {
      return `line ${i + 1} (of ${a.length - 1} actual, ${w.length - 1} expected lines):\n` +
        `    actual:   ${JSON.stringify(a[i]?.slice(0, 300))}\n` +
        `    expected: ${JSON.stringify(w[i]?.slice(0, 300))}\n` +
        `    previous: ${JSON.stringify(w[i - 1]?.slice(0, 300))}`
    }
  }
  return 'no line differs (bytes differ?)'
}

/** Throws a descriptive error unless the run succeeded, left no temp files, and matched. */
export function check (o: Outcome, want: Buffer, what: string): void {
  const head = `${what}\n  mrstream ${o.argv.join(' ')}`
  if (o.result.code !== 0) throw new Error(`${head}\n  exit ${o.result.code}; stderr:\n${o.result.stderr.slice(0, 3000)}`)
  if (!o.output.equals(want)) throw new Error(`${head}\n  output differs from the oracle at ${firstDifference(o.output, want)}\n  stderr: ${o.result.stderr.slice(0, 1000)}`)
  if (o.tmpLeft.length > 0) throw new Error(`${head}\n  --tmp-dir not empty after success: ${o.tmpLeft.join(', ')}`)
}

/** Passes, or fails with the whole message of what `fn` threw. */
export function expectOk (t: Test, fn: () => void, name: string): void {
  try {
    fn()
    t.pass(name)
  } catch (e) {
    t.fail(`${name}\n${(e as Error).message}`)
  }
}

/** Runs a property; a failure reports fast-check's counterexample and the case's own message. */
export async function holds<Ts extends [unknown, ...unknown[]]> (t: Test, prop: fc.IAsyncProperty<Ts>, params: fc.Parameters<Ts>, name: string): Promise<void> {
  try {
    await fc.assert(prop, params)
    t.pass(name)
  } catch (e) {
    const cause = (e as Error).cause
    t.fail(`${name}\n${(e as Error).message}${cause instanceof Error ? '\n' + cause.message : ''}`)
  }
}
