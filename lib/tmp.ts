// The job's private temp directory (mode 0700, made with mkdtemp) and its removal on every
// exit path: success, failure, signals, and stdout closed early. Only the process that made
// a directory removes it.
import { mkdtempSync, rmSync, statSync, accessSync, constants } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MrstreamError } from './errors.js'

const live = new Set<string>()

export function makeTmpDir (parent: string | undefined): string {
  const base = parent ?? tmpdir()
  try {
    if (!statSync(base).isDirectory()) throw new Error('not a directory')
    accessSync(base, constants.W_OK | constants.X_OK)
  } catch (e) {
    throw new MrstreamError('MRS_ERR_USAGE', `--tmp-dir ${base} is not a writable directory: ${(e as Error).message}`, { phase: 'spill', file: base }, e)
  }
  const dir = mkdtempSync(join(base, `mrstream-${process.pid}-`)) // mkdtemp makes it 0700
  live.add(dir)
  return dir
}

export function removeTmpDir (dir: string): void {
  if (!live.delete(dir)) return
  try { rmSync(dir, { recursive: true, force: true, maxRetries: 3 }) } catch {}
}

/** For signal handlers: remove every temp directory this process still has. */
export function removeAllTmpDirs (): void {
  for (const dir of [...live]) removeTmpDir(dir)
}
