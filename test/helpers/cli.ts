// Spawning the built binary the way a user runs it, for the CLI-level tests.
import { spawn } from './children.js'
import { fileURLToPath } from 'node:url'

export const bin = fileURLToPath(new URL('../../dist/bin/mrstream.js', import.meta.url))

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

/** A bash script in cwd under `set -o pipefail` and LC_ALL=C, `mrs` being the built binary. */
export function shell (script: string, cwd: string): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `set -o pipefail\nmrs () { env -u NODE_OPTIONS "${process.execPath}" "${bin}" "$@"; }\n${script}`], { cwd, env: { ...process.env, LC_ALL: 'C' } })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', reject)
    child.on('close', code => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }))
  })
}
