// Every process a test starts, ended with the test file: a test that times out or is
// interrupted must not leave an mrstream run (or the shell around it) behind. Children start in
// their own process group, so ending the group ends what they started too; SIGTERM first, so an
// mrstream run removes its temp dir, SIGKILL for what is left. Children get a TMPDIR of the test
// file's own (removed at exit), so what a killed run leaves in one file is not seen by another.
import { spawn as spawnChild, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The TMPDIR of this test file's children. */
export const childTmp = mkdtempSync(join(tmpdir(), 'mrstream-test-'))

const running = new Set<ChildProcess>()

function signalGroup (child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try { process.kill(-child.pid, signal) } catch { try { child.kill(signal) } catch {} }
}

/** Ends every child still running: SIGTERM, then SIGKILL to the groups that outlive `graceMs`. */
export function endChildren (graceMs = 2000): void {
  for (const child of running) signalGroup(child, 'SIGTERM')
  if (running.size === 0) return
  const until = Date.now() + graceMs
  // synchronous on purpose: this runs in 'exit' and signal handlers, where nothing else would
  const pause = new Int32Array(new SharedArrayBuffer(4))
  while (Date.now() < until && [...running].some(c => alive(c.pid))) Atomics.wait(pause, 0, 0, 50)
  for (const child of running) signalGroup(child, 'SIGKILL')
}

function alive (pid: number | undefined): boolean {
  if (pid === undefined) return false
  try { process.kill(-pid, 0); return true } catch { return false }
}

function track (child: ChildProcess): ChildProcess {
  running.add(child)
  child.on('exit', () => running.delete(child))
  child.on('error', () => running.delete(child))
  return child
}

/** `child_process.spawn`, tracked, in a process group of its own. */
export const spawn = ((command: string, args: readonly string[] = [], options: SpawnOptions = {}) =>
  track(spawnChild(command, args, { ...options, env: { ...process.env, TMPDIR: childTmp, ...options.env }, detached: true }))) as unknown as typeof spawnChild

process.on('exit', () => {
  endChildren()
  rmSync(childTmp, { recursive: true, force: true })
})
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.once(signal, () => {
    endChildren()
    process.kill(process.pid, signal)
  })
}
