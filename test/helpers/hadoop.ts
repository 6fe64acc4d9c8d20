// Running jobs "on Hadoop" in the tests: a job's streaming jobs (as `mrstream hadoop` makes
// them) through the simulator (hadoop-sim.ts), with its phases run by the job's bundle or by
// the installed mrstream; the same job run locally; and fake `mapred` and `hadoop` commands
// that record how they were called.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { Test } from 'tap'
import fc from 'fast-check'
import { spawnCli } from './cli.js'
import { fileBytes, fileSpecArb } from './gen.js'
import { jobs, writeJob } from './jobs.js'
import { readOutput, runStreaming, type SimOptions, type SimResult } from './hadoop-sim.js'
import { sample } from './depth.js'

const dist = new URL('../../dist/lib/', import.meta.url)
const bin = new URL('../../dist/bin/mrstream.js', import.meta.url).pathname

/** The built modules the tests drive in process (esbuild's bundling, the streaming arguments). */
export async function built (): Promise<{ bundleJob: typeof import('../../dist/lib/hadoop/bundle.js').bundleJob, streamingJobs: typeof import('../../dist/lib/hadoop/command.js').streamingJobs, loadSteps: typeof import('../../dist/lib/job/job.js').loadSteps }> {
  const { bundleJob } = await import(new URL('hadoop/bundle.js', dist).href) as typeof import('../../dist/lib/hadoop/bundle.js')
  const { streamingJobs } = await import(new URL('hadoop/command.js', dist).href) as typeof import('../../dist/lib/hadoop/command.js')
  const { loadSteps } = await import(new URL('job/job.js', dist).href) as typeof import('../../dist/lib/job/job.js')
  return { bundleJob, streamingJobs, loadSteps }
}

/** A directory outside the repository (no node_modules above it, as on a task node), removed after the test. */
export function scratchDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'mrs-hadoop-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * A directory of commands for the tasks' PATH: `mrstream`, the installed CLI (as `npm install
 * -g` puts it on a node), and `node`, without tap's NODE_OPTIONS (tap's spawn hook puts its
 * loader into every child's environment, whatever env is given: unset here).
 */
export function taskPath (dir: string): string {
  const binDir = join(dir, 'task-bin')
  mkdirSync(binDir, { recursive: true })
  writeFileSync(join(binDir, 'mrstream'), `#!/bin/sh\nunset NODE_OPTIONS\nexec "${process.execPath}" "${bin}" "$@"\n`)
  writeFileSync(join(binDir, 'node'), `#!/bin/sh\nunset NODE_OPTIONS\nexec "${process.execPath}" "$@"\n`)
  chmodSync(join(binDir, 'mrstream'), 0o755)
  chmodSync(join(binDir, 'node'), 0o755)
  return `${binDir}:/usr/bin:/bin`
}

/** The tasks' environment: the PATH above, nothing of tap's. */
export function taskEnv (dir: string): Record<string, string> {
  return { PATH: taskPath(dir), HOME: dir, LANG: 'C.UTF-8' }
}

export interface ChainResult {
  output: Buffer
  /** A map-only last step's part files in their splits' input order. */
  mapParts: Buffer
  counters: Record<string, Record<string, number>>
  statuses: string[]
  processes: number
  logs: string
}

/** Runs a job's streaming jobs one after another, as `mrstream hadoop` would submit them. */
export async function runJobs (jobs: string[][], o: SimOptions): Promise<ChainResult> {
  const counters: Record<string, Record<string, number>> = {}
  const statuses: string[] = []
  let processes = 0
  let logs = ''
  let last: SimResult | undefined
  for (const args of jobs) {
    last = await runStreaming(args, o)
    for (const [g, names] of Object.entries(last.counters)) for (const [k, n] of Object.entries(names)) (counters[g] ??= {})[k] = (counters[g][k] ?? 0) + n
    statuses.push(...last.statuses)
    processes += last.processes
    logs += last.logs
  }
  return { output: readOutput(last!.output), mapParts: Buffer.concat(last!.inInputOrder.map(p => p.bytes)), counters, statuses, processes, logs }
}

export interface LocalResult { output: Buffer, counters: Record<string, number>, user: Record<string, number> }

/** The job run here, one worker, with its counters (--stats). */
export async function runLocal (job: string, inputs: string[], dir: string, extra: string[] = []): Promise<LocalResult> {
  const stats = join(dir, `stats-${Math.random().toString(36).slice(2)}.json`)
  const r = await spawnCli(['--job', job, '-q', '--workers', '1', '--tmp-dir', dirname(stats), '--stats', stats, ...extra, ...inputs], dir)
  if (r.code !== 0) throw new Error(`local run of ${job} failed: ${r.stderr}`)
  const s = JSON.parse(readFileSync(stats, 'utf8')) as { counters: Record<string, number>, user: Record<string, number> }
  return { output: Buffer.from(r.stdout, 'utf8'), counters: s.counters, user: s.user }
}

/** mrstream's counters under Hadoop (summed over tasks and steps) beside a local run's. */
export function countersOf (sim: ChainResult, local: LocalResult): { hadoop: Record<string, number>, local: Record<string, number> } {
  const m = sim.counters.mrstream ?? {}
  const names: Array<[string, string]> = [['records', 'records read'], ['pairs', 'pairs emitted'], ['keys', 'keys reduced'], ['written', 'records written'], ['badRecords', 'bad records skipped'], ['invalidUtf8', 'records with invalid UTF-8']]
  const hadoop: Record<string, number> = {}
  const here: Record<string, number> = {}
  for (const [key, name] of names) {
    hadoop[key] = m[name] ?? 0
    here[key] = local.counters[key] ?? 0
  }
  for (const [k, n] of Object.entries(sim.counters.job ?? {})) hadoop[`job: ${k}`] = n
  // (a comma would end a counter line's name: the phases make it a space)
  for (const [k, n] of Object.entries(local.user)) here[`job: ${k.replace(/[,\r\n]/g, ' ')}`] = n
  return { hadoop, local: here }
}

/** A text's lines, sorted (part files hold keys in their JSON's byte order, and several of them). */
export const sortedLines = (b: Buffer): string[] => b.toString('utf8').split('\n').filter((l, i, a) => i < a.length - 1 || l !== '').sort()

/**
 * `mapred` and `hadoop` commands that write how they were called (one JSON array a line) to
 * `log`, and exit with the code in the file `exit` beside it (0 if none).
 */
export function fakeHadoop (dir: string): { path: string, log: string, calls: () => string[][], failWith: (code: number) => void } {
  const binDir = join(dir, 'fake-hadoop')
  mkdirSync(binDir, { recursive: true })
  const log = join(binDir, 'calls.log')
  const exit = join(binDir, 'exit')
  writeFileSync(log, '')
  for (const name of ['mapred', 'hadoop']) {
    writeFileSync(join(binDir, name), `#!${process.execPath}
const fs = require('node:fs')
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify([${JSON.stringify(name)}, ...process.argv.slice(2)]) + '\\n')
let code = 0
try { code = Number(fs.readFileSync(${JSON.stringify(exit)}, 'utf8')) } catch {}
process.exit(code)
`)
    chmodSync(join(binDir, name), 0o755)
  }
  return {
    path: binDir,
    log,
    calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l) as string[]),
    failWith: (code: number) => { writeFileSync(exit, String(code)) },
  }
}

export interface FamilyCase {
  /** The family job (helpers/jobs.ts). */
  job: string
  /** Run the phases with the job's bundle, or with the installed mrstream and the job file. */
  runner: 'bundle' | 'installed'
  seed: number
  reducers?: number
  valueOrder?: 'input' | 'any'
  spillRecords?: number
}

/** Jobs whose output does not depend on the order of a key's values (sums, counts, maxima). */
export const orderFree = new Set(['wordcount', 'wordcountCombine', 'wordcountDefaultExport', 'wordcountCjs', 'sumPerKey', 'sumPerKeyCombine', 'composite', 'pairSums', 'tupleSums', 'chars', 'builtinSum', 'groupPairCombine'])

// one split of each file, for jobs that read ctx.line (under Hadoop, the line within the split)
const WHOLE_FILES = `mapreduce.input.fileinputformat.split.minsize=${2n ** 63n - 1n}`

/**
 * Two generated inputs (the property tests' generator; a lone CR, which ends a line under
 * Hadoop and not here, made a space), as files in `dir`.
 */
export function familyInputs (dir: string, seed: number): string[] {
  const specs = fc.sample(fileSpecArb.filter(s => !s.gzip && (s.kind === 'small' || s.lineCount <= 600)), { numRuns: 2, seed })
  return specs.map((spec, i) => {
    const path = join(dir, `in-${seed}-${i}.txt`)
    writeFileSync(path, fileBytes(spec).toString('latin1').replace(/\r(?!\n)/g, ' '), 'latin1')
    return path
  })
}

/**
 * A family job run locally and under the simulator, as `mrstream hadoop` would submit it (its
 * streaming jobs from streamingJobs): the outputs and counters of both.
 */
export async function familyCase (dir: string, c: FamilyCase): Promise<{ sim: ChainResult, local: LocalResult, mapOnly: boolean }> {
  const { bundleJob, streamingJobs, loadSteps } = await built()
  const source = jobs[c.job]!
  const jobPath = writeJob(join(dir, `job-${c.job}-${c.runner}`), source)
  const inputs = familyInputs(dir, c.seed)
  const local = await runLocal(jobPath, inputs, dir)
  const steps = await loadSteps({ file: jobPath })
  let ship = jobPath
  if (c.runner === 'bundle') {
    ship = join(dir, `${c.job}.bundle.mjs`)
    await bundleJob(jobPath, ship)
  }
  const plan = streamingJobs({
    steps,
    jobFile: jobPath,
    ship,
    node: c.runner === 'bundle' ? 'node' : undefined,
    inputs,
    output: join(dir, `out-${c.job}-${c.runner}`),
    reducers: source.mapOnly === true ? undefined : c.reducers ?? 2,
    defines: source.source.includes('ctx.line') ? [WHOLE_FILES] : ['mapreduce.job.maps=2'],
    format: undefined,
    outputFormat: 'tsv',
    maxBadRecords: 0,
    maxLineBytes: undefined,
  })
  const sim = await runJobs(plan.jobs, {
    cwd: dir,
    env: taskEnv(dir),
    valueOrder: c.valueOrder ?? (orderFree.has(c.job) ? 'any' : 'input'),
    seed: c.seed,
    ...(c.spillRecords === undefined ? {} : { spillRecords: c.spillRecords }),
  })
  return { sim, local, mapOnly: source.mapOnly === true }
}

/** Runs `fn` over `items`, `most` at a time (processes mostly wait for a core on a shared machine); results in order. */
export async function inBatches<T, R> (items: T[], most: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(most, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }))
  return out
}

/**
 * Family jobs (with their input seeds) run locally and under the simulator: the lines (a
 * map-only job's part files in their splits' input order: the bytes) and the counters of both.
 */
export async function familyTest (t: Test, runner: 'bundle' | 'installed', cases: Array<[string, number]>): Promise<void> {
  const dir = scratchDir(t)
  cases = sample(cases, Math.ceil(cases.length / 2))
  const results = await inBatches(cases, 3, async ([job, seed]) => await familyCase(dir, { job, runner, seed }))
  for (const [i, [job]] of cases.entries()) {
    const { sim, local, mapOnly } = results[i]!
    if (mapOnly) t.equal(sim.mapParts.toString(), local.output.toString(), `${job}: the part files in input order are the local output`)
    else t.strictSame(sortedLines(sim.output), sortedLines(local.output), `${job}: the local output's lines (${sim.processes} task processes)`)
    const c = countersOf(sim, local)
    t.strictSame(c.hadoop, c.local, `${job}: counters`)
  }
}
