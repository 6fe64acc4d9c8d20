// The job's private temp directory (mode 0700, made with mkdtemp) and its removal on every
// exit path: success, failure, signals, and stdout closed early. Only the process that made
// a directory removes it; one left by a killed run (SIGKILL cannot be caught) is reported.
import { mkdtempSync, readdirSync, renameSync, rmSync, statSync, accessSync, constants } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MrstreamError } from '../errors.js'

const live = new Set<string>()
let firstTemp: (() => void) | undefined

/** `fn` runs once, when the process first has a temp path to clean up (signals.ts). */
export function onFirstTemp (fn: () => void): void {
  firstTemp = fn
}

/** Runs the onFirstTemp hook once: before the first temp path is made, so no signal can fall between. */
function arm (): void {
  const fn = firstTemp
  firstTemp = undefined
  fn?.()
}

function track (path: string): void {
  arm()
  live.add(path)
}

function alive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM' }
}

/**
 * The paths in `base` named `${prefix}PID-REST` (REST as `rest` matches) by mrstream runs whose
 * process is gone: a run's name carries its process id for this.
 */
export function leftByDeadRuns (base: string, prefix: string, rest: RegExp = /./): string[] {
  let names: string[] = []
  try { names = readdirSync(base) } catch { return [] }
  return names.filter(n => {
    const m = /^(\d+)-(.*)$/s.exec(n.slice(prefix.length))
    return n.startsWith(prefix) && m !== null && rest.test(m[2]!) && Number(m[1]) !== process.pid && !alive(Number(m[1]))
  }).map(n => join(base, n))
}

/** Temp directories under `base` left by mrstream runs whose process is gone. */
export function staleTmpDirs (base: string): string[] {
  return leftByDeadRuns(base, 'mrstream-')
}

export function makeTmpDir (parent: string | undefined): string {
  const base = checkTmpBase(parent)
  arm()
  const dir = mkdtempSync(join(base, `mrstream-${process.pid}-`)) // mkdtemp makes it 0700
  track(dir)
  return dir
}

/** Where makeTmpDir would make its directory, checked (a usage error if it cannot), without making it. */
export function checkTmpBase (parent: string | undefined): string {
  const base = parent ?? tmpdir()
  try {
    if (!statSync(base).isDirectory()) throw new Error('not a directory')
    accessSync(base, constants.W_OK | constants.X_OK)
  } catch (e) {
    const what = parent === undefined ? `the temp directory ${base} (TMPDIR; or give --tmp-dir)` : `--tmp-dir ${base}`
    throw new MrstreamError('MRS_ERR_USAGE', `${what} is not a writable directory: ${(e as Error).message}`, { phase: 'spill', file: base }, e)
  }
  return base
}

/** A file or directory to remove if the process is interrupted before it is renamed into place. */
export function trackTemp (path: string): void {
  track(path)
}

export function removeTmpDir (dir: string): void {
  if (!live.delete(dir)) return
  // Rename first: workers still running (a signal arrived) then cannot add files to it while it
  // is being removed, since every path they write is under the old name.
  let gone = dir
  try { renameSync(dir, gone = `${dir}.removing`) } catch { gone = dir }
  try { rmSync(gone, { recursive: true, force: true, maxRetries: 3 }) } catch {}
}

/** Forgets a tracked temp path that was renamed into place. */
export function untrackTemp (path: string): void {
  live.delete(path)
}

/** For signal handlers and failures: remove every temp path this process still has. */
export function removeAllTmpDirs (): void {
  for (const dir of [...live]) removeTmpDir(dir)
}
