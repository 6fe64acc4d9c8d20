// The fault matrix: mrstream writing to `-o FILE`, `-o DIR --reducers 3` or stdout is stopped
// by SIGTERM or SIGINT, or killed by SIGKILL, as a phase begins (map, merge, reduce, output
// commit), a random few milliseconds in. A phase's beginning is seen from outside, as a user
// would: the run's directory appearing in --tmp-dir (map), its first merged run (merge) or
// reduce fragment (reduce), the temp file or directory appearing beside the target, or the
// first byte on stdout (commit). After each run, what is left is checked against the rules of
// docs/guarantees.md ("Output files"): exit 0 and the whole new output, or the signal's exit
// and the old output as it was; the run's temp paths removed, or, after SIGKILL, reported or
// removed by the next run writing to the same target.
import type { Test } from 'tap'
import type { ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, watch, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawn } from './children.js'
import { cliArgv } from './cli.js'
import { prng } from './gen.js'
import { loadJob, oracle, readInputs } from '../oracle.js'

export type Target = 'file' | 'dir' | 'stdout'
export type Phase = 'map' | 'merge' | 'reduce' | 'commit'
type Catchable = 'SIGTERM' | 'SIGINT'
const EXIT: Record<Catchable, number> = { SIGTERM: 143, SIGINT: 130 }
const PHASES: Phase[] = ['map', 'merge', 'reduce', 'commit']

// A reduce that returns copies of its key. To stop the output commit, 2000 copies: 72 MB of
// output from 45 KB of input, a commit of tens of milliseconds, written in more than one slice.
// The small job sleeps 1 ms every 50 keys, so that its reduce lasts 60 ms at least, past the
// signal's delay (on a busy machine the reduce of 3000 keys ended before it)
const job = (copies: number, napEvery?: number): string => {
  const head = napEvery === undefined ? '' : 'const nap = new Int32Array(new SharedArrayBuffer(4))\nlet keys = 0\n'
  const sleep = napEvery === undefined ? '' : `  if (++keys % ${napEvery} === 0) Atomics.wait(nap, 0, 0, 1)\n`
  return `${head}export function map (line, emit) { emit(line, 1) }
export function reduce (key) {
${sleep}  return key.repeat(${copies})
}
`
}
const JOBS = { small: 'small.mjs', big: 'big.mjs' }
// one worker, 64 KB of memory: six spills, so merge passes at a fan-in of 2
const SETTINGS = ['--workers', '1', '--memory', '64KB', '--fan-in', '2']
/** A run of the job of the large output (in a `killFixture` directory). */
export const BIG_RUN = ['--job', JOBS.big, ...SETTINGS, 'in.txt']
export const OUT = { file: 'out.txt', dir: 'out' }
const STACK_LINE = /^\s+at /m

function input (): string {
  const lines: string[] = []
  for (let i = 0; i < 3000; i++) lines.push(`k${(i * 7919) % 3000}-${'z'.repeat(i % 17)}`)
  return lines.join('\n') + '\n'
}

/** The files of a run directory (for t.testdir): the input and the jobs. */
export function killFixture (): Record<string, string> {
  return { 'in.txt': input(), [JOBS.small]: job(20, 50), [JOBS.big]: job(2000) }
}

/** Calls `found` with the first entry of `dir` that `match` accepts, as soon as it exists. */
function whenAppears (dir: string, match: (name: string) => boolean, found: (name: string) => void): () => void {
  let done = false
  const hit = (name: string | null): void => {
    if (done || name === null || !match(name)) return
    done = true
    close()
    found(name)
  }
  let watcher: ReturnType<typeof watch> | undefined
  try {
    watcher = watch(dir, (_event, name) => hit(name))
    watcher.on('error', () => {}) // (the directory removed under it: the run ended)
  } catch { return () => {} }
  const close = (): void => { done = true; watcher?.close() }
  try { for (const name of readdirSync(dir)) hit(name) } catch {}
  return close
}

interface Stopped {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: Buffer
  stderr: string
  pid: number
  /** The signal was sent once the phase had begun (else the run ended before it did). */
  sent: boolean
}

/** `seen` is given the path of the temp output that marks the commit, before the signal is sent. */
interface Stop { phase: Phase, sig: NodeJS.Signals, delayMs: number, seen?: (path: string) => void }

/**
 * Runs mrstream with `args` and `--tmp-dir tmp` in `dir`, sends `sig` `delayMs` after `phase`
 * begins, and resolves with how it ended. Without a signal, runs it to the end.
 */
export async function runAndStop (dir: string, tmp: string, args: string[], target: Target, stop?: Stop): Promise<Stopped> {
  const [cmd, argv] = cliArgv([...args, '--tmp-dir', tmp])
  const child: ChildProcess = spawn(cmd, argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  const pid = child.pid!
  const closers: Array<() => void> = []
  const out: Buffer[] = []
  let err = ''
  let sent = false
  let ended = false
  const closed = new Promise<[number | null, NodeJS.Signals | null]>(resolve => child.on('close', (c, s) => { ended = true; resolve([c, s]) }))
  // a run that ignored its signal would hang the test: killed after a long while, and failed
  const guard = setTimeout(() => child.kill('SIGKILL'), 300_000)
  child.stderr!.on('data', (b: Buffer) => { err += b.toString('utf8') })
  const send = (then?: () => void): void => {
    const now = (): void => {
      sent = !ended
      child.kill(stop!.sig)
      then?.()
    }
    if (stop!.delayMs === 0) now()
    else setTimeout(now, stop!.delayMs)
  }
  let firstByte: (() => void) | undefined
  child.stdout!.on('data', (b: Buffer) => {
    out.push(b)
    const f = firstByte
    firstByte = undefined
    f?.()
  })
  if (stop !== undefined) {
    const { phase } = stop
    if (phase === 'commit' && target === 'stdout') {
      // the first bytes are out: hold the rest in the pipe while the signal is on its way
      firstByte = () => { child.stdout!.pause(); send(() => child.stdout!.resume()) }
    } else if (phase === 'commit') {
      // (this run's: one a killed run left may be there already)
      const prefix = `.${target === 'file' ? OUT.file : OUT.dir}.mrstream-${pid}-`
      closers.push(whenAppears(dir, n => n.startsWith(prefix), name => { stop.seen?.(join(dir, name)); send() }))
    } else {
      closers.push(whenAppears(tmp, n => n.startsWith(`mrstream-${pid}-`), runDir => {
        if (phase === 'map') return send()
        closers.push(whenAppears(join(tmp, runDir), n => n.startsWith(`${phase}-`), () => send()))
      }))
    }
  }
  const [code, signal] = await closed
  clearTimeout(guard)
  for (const close of closers) close()
  return { code, signal, stdout: Buffer.concat(out), stderr: err, pid, sent }
}

/** The output as lines in sorted order (the parts of a directory hold the keys hash-partitioned). */
function sortedLines (text: string): string[] {
  return text.split('\n').filter(l => l !== '').sort()
}

/** What a directory output holds: its part files' lines, sorted, and whether it has _SUCCESS. */
function readDirOutput (path: string): { lines: string[], success: boolean } {
  const names = readdirSync(path)
  return { lines: sortedLines(names.filter(n => n.startsWith('part-')).map(n => readFileSync(join(path, n), 'utf8')).join('')), success: names.includes('_SUCCESS') }
}

/** The temp paths mrstream leaves beside the target while writing it. */
export function siblings (dir: string, target: Target): string[] {
  if (target === 'stdout') return []
  const prefix = `.${target === 'file' ? OUT.file : OUT.dir}.mrstream-`
  return readdirSync(dir).filter(n => n.startsWith(prefix))
}

/** The jobs' outputs over the fixture's input (the same for every target): made once, 72 MB. */
let outputs: Promise<{ small: string, big: string }> | undefined

/**
 * The matrix for one target: each phase, SIGKILL then SIGTERM or SIGINT (the run after a SIGKILL
 * is the one that must find what it left), then a run to the end.
 */
export async function faultMatrix (t: Test, target: Target, opts: { sigkill: boolean }): Promise<void> {
  const seed = Number(process.env.MRS_SEED ?? Math.floor(Math.random() * 2 ** 31))
  t.comment(`seed ${seed} (MRS_SEED=${seed} to repeat the signals and delays; timing varies)`)
  const random = prng(seed)
  const dir = t.testdir(killFixture())
  const tmp = join(dir, 'tmp')
  mkdirSync(tmp)
  const wanted = async (name: string): Promise<string> => (await oracle(await loadJob(join(dir, name)), readInputs([join(dir, 'in.txt')]))).toString('utf8')
  outputs ??= (async () => ({ small: await wanted(JOBS.small), big: await wanted(JOBS.big) }))()
  const wants = await outputs
  const targetArgs = target === 'file' ? ['-o', OUT.file] : target === 'dir' ? ['-o', OUT.dir, '--reducers', '3'] : []
  const filePath = join(dir, OUT.file)
  const dirPath = join(dir, OUT.dir)
  // what killed runs left, for the next run to report or remove
  let leftSiblings: string[] = []
  let leftRunDirs: string[] = []
  const outcomes: string[] = []

  const cells: Array<{ phase: Phase, sig: NodeJS.Signals } | undefined> = []
  for (const phase of PHASES) {
    if (opts.sigkill) cells.push({ phase, sig: 'SIGKILL' })
    cells.push({ phase, sig: random() < 0.5 ? 'SIGTERM' : 'SIGINT' })
  }
  cells.push(undefined)

  for (const [i, cell] of cells.entries()) {
    const old = `old output ${i}\n`
    if (target === 'file') {
      writeFileSync(filePath, old)
      chmodSync(filePath, 0o640)
    }
    if (target === 'dir') rmSync(dirPath, { recursive: true, force: true })
    const delayMs = cell === undefined ? 0 : Math.floor(random() * (cell.phase === 'commit' ? 2 : 20))
    const label = cell === undefined ? `${target}: run to the end` : `${target}: ${cell.sig} ${delayMs} ms into ${cell.phase}`
    const size = cell?.phase === 'commit' ? 'big' : 'small'
    const want = wants[size]
    const args = ['--job', JOBS[size], ...SETTINGS, ...targetArgs, 'in.txt']
    const r = await runAndStop(dir, tmp, args, target, cell === undefined ? undefined : { ...cell, delayMs })
    const runDirs = readdirSync(tmp).filter(n => n.startsWith(`mrstream-${r.pid}-`))
    t.notMatch(r.stderr, STACK_LINE, `${label}: no stack trace`)
    if (cell !== undefined) t.ok(r.sent, `${label}: the run reached ${cell.phase} (stderr: ${r.stderr})`)

    const whole = r.code === 0
    if (cell === undefined || cell.sig !== 'SIGKILL') {
      const sig = cell?.sig as Catchable | undefined
      t.ok(whole || (sig !== undefined && (r.code === EXIT[sig] || r.signal === sig)), `${label}: exit 0 or ${sig === undefined ? '' : EXIT[sig]} (got ${r.code ?? r.signal}: ${r.stderr})`)
      t.same(runDirs, [], `${label}: its temp directory is removed`)
      t.same(siblings(dir, target), [], `${label}: nothing left beside the target`)
      // what the SIGKILLed run before it left: found
      for (const s of leftSiblings) t.match(r.stderr, `removed ${join(dir, s)}`, `${label}: says it removed ${s}`)
      for (const d of leftRunDirs) t.match(r.stderr, `${join(tmp, d)} was left by an mrstream run that was killed`, `${label}: reports ${d}`)
      leftSiblings = []
      leftRunDirs = []
    } else {
      t.equal(r.signal, 'SIGKILL', `${label}: killed`)
      leftSiblings = siblings(dir, target)
      leftRunDirs = runDirs
      // a partial output is readable by no one else
      for (const s of leftSiblings) t.equal(statSync(join(dir, s)).mode & 0o777, target === 'file' ? 0o600 : 0o700, `${label}: ${s} is private`)
    }
    outcomes.push(`${label}: ${r.code ?? r.signal}${cell?.sig === 'SIGKILL' ? `, left ${[...leftRunDirs, ...leftSiblings].join(' ')}` : ''}`)

    // the target: the whole new output, or the old one as it was
    if (target === 'stdout') {
      const got = r.stdout.toString('utf8')
      if (whole) t.equal(got, want, `${label}: exit 0, the whole output on stdout`)
      else t.ok(want.startsWith(got), `${label}: stdout holds a part of the output (${got.length} of ${want.length} bytes), nothing else`)
    } else if (target === 'file') {
      const got = readFileSync(filePath, 'utf8')
      t.equal(statSync(filePath).mode & 0o777, 0o640, `${label}: the file keeps its mode`)
      if (whole) t.equal(got, want, `${label}: exit 0, the file holds the new output`)
      else if (cell?.sig === 'SIGKILL') t.ok(got === old || got === want, `${label}: the file holds the old output or the whole new one (${got.length} bytes)`)
      else t.equal(got, old, `${label}: the old output is untouched`)
    } else {
      const made = existsSync(dirPath)
      if (whole) t.same(readDirOutput(dirPath), { lines: sortedLines(want), success: true }, `${label}: exit 0, the directory holds the output`)
      else if (cell?.sig === 'SIGKILL' && made) t.same(readDirOutput(dirPath), { lines: sortedLines(want), success: true }, `${label}: a directory under the target's name is whole`)
      else t.notOk(made, `${label}: no directory under the target's name`)
    }
    if (cell === undefined) t.ok(whole, `${label}: exit 0 (${r.stderr})`)
  }
  t.comment(outcomes.join('\n'))
}
