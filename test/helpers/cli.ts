// Spawning the built binary the way a user runs it, for the CLI-level tests.
import type { Test } from 'tap'
import { spawn } from './children.js'
import { mkdtempSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const bin = fileURLToPath(new URL('../../dist/bin/mrstream.js', import.meta.url))
/** The repository's root, with a trailing slash. */
export const root = fileURLToPath(new URL('../../', import.meta.url))
/** A job of test/fixtures/jobs. */
export const job = (name: string): string => join(root, 'test', 'fixtures', 'jobs', name)
/** A line of a stack trace. */
export const STACK_LINE = /^\s+at /m

export interface Result { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string, ms: number }

/**
 * argv that runs the built binary without tap's NODE_OPTIONS: tap re-adds its process-info
 * loader to every child's NODE_OPTIONS (whatever env is given), which turns on source maps and
 * slows every worker thread; `env -u` drops it after tap's hook ran. `vars` are set for the child.
 */
export function cliArgv (args: string[], vars: Record<string, string> = {}): [string, string[]] {
  return ['env', ['-u', 'NODE_OPTIONS', ...Object.entries(vars).map(([k, v]) => `${k}=${v}`), process.execPath, bin, ...args]]
}

export interface SpawnOptions { stdin?: string | Buffer, vars?: Record<string, string>, stdout?: number, uid?: number, gid?: number }

/**
 * Spawns `node dist/bin/mrstream.js ...args` in cwd; stdin is `opts.stdin` or empty; `opts.stdout`
 * an fd to write to; `opts.uid` and `gid` the user and group it runs as (root can set them).
 */
export function spawnCli (args: string[], cwd: string, opts: SpawnOptions = {}): Promise<Result> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const [cmd, argv] = cliArgv(args, opts.vars)
    const child = spawn(cmd, argv, { cwd, stdio: ['pipe', opts.stdout ?? 'pipe', 'pipe'], uid: opts.uid, gid: opts.gid })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout?.on('data', (b: Buffer) => out.push(b))
    child.stderr!.on('data', (b: Buffer) => err.push(b))
    child.stdin!.on('error', () => {})
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: Date.now() - started }))
    child.stdin!.end(opts.stdin)
  })
}

/**
 * Runs mrstream with `args` in cwd, sends it SIGINT after `afterMs`, and resolves with how it
 * ended (SIGKILL 10 s later, if it ignored the signal).
 */
export async function interruptAfter (args: string[], cwd: string, afterMs: number): Promise<{ exit: number | null, signal: NodeJS.Signals | null }> {
  const [cmd, argv] = cliArgv(args)
  const child = spawn(cmd, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  const closed = new Promise<{ exit: number | null, signal: NodeJS.Signals | null }>(resolve => child.on('close', (exit, signal) => resolve({ exit, signal })))
  await new Promise(resolve => setTimeout(resolve, afterMs))
  child.kill('SIGINT')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  const ended = await closed
  clearTimeout(timer)
  return ended
}

/**
 * A bash script in cwd under `set -o pipefail` and LC_ALL=C, `mrs` being the built binary and
 * `mrs_32mb` the same with a 32 MB heap.
 */
export function shell (script: string, cwd: string): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const mrs = `env -u NODE_OPTIONS "${process.execPath}"`
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `set -o pipefail\nmrs () { ${mrs} "${bin}" "$@"; }\nmrs_32mb () { ${mrs} --max-old-space-size=32 "${bin}" "$@"; }\n${script}`], { cwd, env: { ...process.env, LC_ALL: 'C' } })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', reject)
    child.on('close', code => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }))
  })
}

/**
 * Runs mrstream in dir with a fresh --tmp-dir, and checks the temp dir is left empty.
 * One worker unless args say otherwise: the machine is shared, and most tests are not about workers.
 */
export async function mrs (t: Test, dir: string, args: string[], stdin?: string | Buffer, vars?: Record<string, string>): Promise<Result> {
  const tmp = mkdtempSync(join(dir, 'tmp-'))
  const workers = args.includes('--workers') ? [] : ['--workers', '1']
  const r = await spawnCli([...args, ...workers, '--tmp-dir', tmp], dir, { stdin, vars })
  t.same(readdirSync(tmp), [], `--tmp-dir is empty after: mrstream ${args.join(' ')}`)
  return r
}

const words = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu'.split(' ')

/** Deterministic text: `lines` lines of words. */
export function text (lines: number, seed = 1): string {
  let x = seed
  const next = (): number => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x >>> 8 }
  const out: string[] = []
  for (let i = 0; i < lines; i++) {
    const n = 1 + (next() % 8)
    const ws: string[] = []
    for (let j = 0; j < n; j++) ws.push(words[next() % words.length]! + (next() % 5 === 0 ? String(next() % 50) : ''))
    out.push(ws.join(' '))
  }
  return out.join('\n') + '\n'
}

/** Word counts as mrstream's tsv output should print them (string keys in code point order). */
export function wordCount (input: string): string {
  const counts = new Map<string, number>()
  for (const w of input.split(/\s+/)) if (w) counts.set(w, (counts.get(w) ?? 0) + 1)
  return [...counts].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b))).map(([w, n]) => `${w}\t${n}\n`).join('')
}
