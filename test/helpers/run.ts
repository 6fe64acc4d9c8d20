// Runs the built engine: in process through `main(argv, io)`, or as a child process through the
// built binary. Tests always use the code in dist/ (map workers are threads loading dist/lib/exec/worker.js).
import { spawn } from './children.js'
import { existsSync } from 'node:fs'
import { PassThrough, Readable, Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
export const cliPath = fileURLToPath(new URL('../../dist/lib/cli.js', import.meta.url))
export const binPath = fileURLToPath(new URL('../../dist/bin/mrstream.js', import.meta.url))

export interface RunResult {
  code: number
  stdout: Buffer
  stderr: string
}

type Main = (argv: string[], io: {
  stdin: NodeJS.ReadableStream
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  env?: Record<string, string | undefined>
}) => Promise<number>

let mainFn: Main | undefined

async function loadMain (): Promise<Main> {
  if (mainFn) return mainFn
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`)
  const mod = await import(cliPath) as { main: Main }
  if (typeof mod.main !== 'function') throw new Error(`${cliPath} does not export main()`)
  mainFn = mod.main
  return mainFn
}

/** A Writable that keeps every chunk it is given. */
export class OutputCollector extends Writable {
  readonly chunks: Buffer[] = []
  override _write (chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
    cb()
  }

  get buffer (): Buffer { return Buffer.concat(this.chunks) }
}

export interface RunOptions {
  /** Bytes (or a string) given as stdin; none means an empty stdin. */
  stdin?: Buffer | string
  env?: Record<string, string | undefined>
}

/** Calls the engine's `main(argv, io)` in this process and collects what it writes. */
export async function runMain (argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const main = await loadMain()
  const stdin = opts.stdin === undefined ? emptyStdin() : Readable.from([Buffer.from(opts.stdin)])
  const stdout = new OutputCollector()
  const stderr = new OutputCollector()
  const code = await main(argv, { stdin, stdout, stderr, env: opts.env ?? { ...process.env } })
  return { code, stdout: stdout.buffer, stderr: stderr.buffer.toString('utf8') }
}

function emptyStdin (): NodeJS.ReadableStream {
  const s = new PassThrough()
  s.end()
  return s
}

/**
 * This process's environment without NODE_OPTIONS (tap's loader hooks), for fast child runs.
 * tap's spawn hook adds them back to a node child's: start it through `env -u NODE_OPTIONS`.
 */
export function cleanEnv (): Record<string, string | undefined> {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  return env
}

/** Spawns `node dist/bin/mrstream.js ...args` and collects its exit code and output. */
export function runCli (args: string[], opts: RunOptions & { cwd?: string } = {}): Promise<RunResult & { signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    if (!existsSync(binPath)) {
      reject(new Error(`${binPath} is missing: run \`npm run build\` first`))
      return
    }
    // (tap puts its loader back into every child's NODE_OPTIONS, whatever env says: `env -u`
    // drops it after tap's hook ran, as cliArgv does; with it, each worker thread loads it)
    const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, binPath, ...args], {
      cwd: opts.cwd ?? repoRoot,
      env: opts.env ?? { ...process.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.stdin.on('error', () => {}) // the engine may not read stdin at all
    child.on('error', reject)
    child.on('close', (code, signal) => {
      resolve({ code: code ?? -1, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') })
    })
    child.stdin.end(opts.stdin === undefined ? undefined : Buffer.from(opts.stdin))
  })
}

/** Spawns a shell command; for independent checks with coreutils. */
export function runShell (script: string, opts: { cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], { cwd: opts.cwd ?? repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', reject)
    child.on('close', code => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }))
  })
}

/** A short, readable description of a run for failure messages. */
export function describeRun (argv: string[], r: RunResult): string {
  return `mrstream ${argv.join(' ')}\n  exit ${r.code}\n  stderr: ${r.stderr.slice(0, 2000)}`
}
