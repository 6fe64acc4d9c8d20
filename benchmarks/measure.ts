// Runs one shell command in a fresh process under GNU time (`/usr/bin/time -v`) and reports
// its wall time (measured here), CPU time and peak RSS. Peak RSS is GNU time's "Maximum resident
// set size": the largest single process of the command's tree (a pipeline's stages are not
// summed). mrstream's workers are threads, so its figure is the whole engine.
import { spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync, readSync } from 'node:fs'

export const TIME_BIN = '/usr/bin/time'

export interface Measured {
  /** Exit code of the command (a pipeline's, with pipefail), or null if killed. */
  code: number | null
  timedOut: boolean
  wallSeconds: number
  cpuSeconds: number
  /** Peak resident set size, in bytes. */
  peakRss: number
  /** The first lines of its stderr, for a report of a failure. */
  stderrHead: string
}

export interface RunSpec {
  /** A bash command; runs with `set -o pipefail`. */
  command: string
  stdout: string
  stderr: string
  /** GNU time's report goes here. */
  timeFile: string
  timeoutSeconds: number
  cwd: string
}

/** Quotes a string for bash. */
export function sh (s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`
}

export async function measure (spec: RunSpec): Promise<Measured> {
  const out = openSync(spec.stdout, 'w')
  const err = openSync(spec.stderr, 'w')
  const started = process.hrtime.bigint()
  let timedOut = false
  const code = await new Promise<number | null>((resolve, reject) => {
    // detached: the command gets its own process group, so a timeout can end all of it.
    const child = spawn(TIME_BIN, ['-v', '-o', spec.timeFile, 'bash', '-c', `set -o pipefail; ${spec.command}`], {
      cwd: spec.cwd, stdio: ['ignore', out, err], detached: true,
    })
    const timer = setTimeout(() => {
      timedOut = true
      try { process.kill(-child.pid!, 'SIGKILL') } catch {}
    }, spec.timeoutSeconds * 1000)
    child.on('error', reject)
    child.on('exit', (exitCode) => { clearTimeout(timer); resolve(exitCode) })
  })
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9
  closeSync(out)
  closeSync(err)
  const time = readTimeReport(spec.timeFile)
  return {
    code: timedOut ? null : code,
    timedOut,
    wallSeconds,
    cpuSeconds: time.user + time.system,
    peakRss: time.maxRssKb * 1024,
    stderrHead: head(spec.stderr, 12),
  }
}

interface TimeReport { user: number, system: number, maxRssKb: number }

/** Parses the fields we use from `time -v` output (zeros if it was killed before writing). */
function readTimeReport (path: string): TimeReport {
  let text = ''
  try { text = readFileSync(path, 'utf8') } catch {}
  const field = (name: string): number => {
    const m = new RegExp(`${name}: ([\\d.]+)`).exec(text)
    return m === null ? 0 : Number(m[1])
  }
  return {
    user: field('User time \\(seconds\\)'),
    system: field('System time \\(seconds\\)'),
    maxRssKb: field('Maximum resident set size \\(kbytes\\)'),
  }
}

/** The first n lines of a file (from its first 4 KB). */
export function head (path: string, n: number): string {
  const buf = Buffer.alloc(4096)
  let got = 0
  try {
    const fd = openSync(path, 'r')
    try { got = readSync(fd, buf, 0, buf.length, 0) } finally { closeSync(fd) }
  } catch {}
  return buf.toString('utf8', 0, got).split('\n').slice(0, n).join('\n').trimEnd()
}
