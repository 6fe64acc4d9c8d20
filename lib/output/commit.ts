// Output: the reduce tasks' fragments, concatenated in key-range order, to stdout, to a file
// (written beside it and renamed into place; a device or pipe is written into), or to a
// directory of part files ending with _SUCCESS (built beside it and renamed into place). A
// reader closing stdout early (`| head`) is a clean stop.
import { accessSync, chmodSync, closeSync, constants, createReadStream, existsSync, fchmodSync, fchownSync, fstatSync, linkSync, lstatSync, mkdtempSync, openSync, promises as fsp, readSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync, type Stats } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { createRequire } from 'node:module'
import type Highland from 'highland'
import { pipeline } from 'node:stream/promises'
import { MrstreamError, writeError } from '../errors.js'
import { WRITE_SLICE } from '../codec/bytes.js'
import { leftByDeadRuns, trackTemp, untrackTemp } from '../exec/tmp.js'

// `device`: an existing path that is not a regular file (/dev/stdout, a named pipe, a terminal),
// written into once the job succeeded, as `sort -o` does; renaming a file over it would replace it.
export type OutputTarget =
  | { kind: 'stdout', partitions: 1 }
  | { kind: 'sink', sink: FragmentSink, partitions: 1 }
  | { kind: 'file', path: string, partitions: 1 }
  | { kind: 'device', path: string, partitions: 1 }
  | { kind: 'dir', path: string, partitions: number }

/**
 * Output handed over fragment by fragment (the library's streams): each reduce task's
 * fragment, once the task is done, in key-range order, while later tasks still run.
 */
export interface FragmentSink {
  add (fragment: string): void
  /** Resolves once every fragment added has been read (the temp directory may go then). */
  drained (): Promise<void>
}

/** Checks the output before the job starts (usage errors, exit 2). */
export function checkOutput (output: string | undefined | FragmentSink, reducers: number | undefined): OutputTarget {
  if (typeof output === 'object') return { kind: 'sink', sink: output, partitions: 1 }
  // (/dev/stdout by name: opening it fails when stdout is a socket, as a spawned child's pipe is)
  if (output === undefined || output === '-' || output === '/dev/stdout') {
    if (reducers !== undefined && reducers > 1) throw new MrstreamError('MRS_ERR_USAGE', '--reducers needs -o DIR: part files go to a directory', { phase: 'output' })
    return { kind: 'stdout', partitions: 1 }
  }
  if (reducers !== undefined) {
    const path = resolve(output)
    checkWritableDir(dirname(path), `output ${output}`, output)
    if (lstatSync(path, { throwIfNoEntry: false }) !== undefined) throw new MrstreamError('MRS_ERR_USAGE', `output directory ${output} already exists (remove it, or choose another -o)`, { phase: 'output', file: output })
    return { kind: 'dir', path, partitions: reducers }
  }
  if (/[/\\]$/.test(output) && !existsSync(output)) throw new MrstreamError('MRS_ERR_USAGE', `output ${output} names a directory; give --reducers N to write part files into a new directory`, { phase: 'output', file: output })
  const st = statSync(output, { throwIfNoEntry: false })
  if (st?.isDirectory() === true) throw new MrstreamError('MRS_ERR_USAGE', `output ${output} is a directory; give --reducers N to write part files into a new directory`, { phase: 'output', file: output })
  // opened as named (/dev/stdout links to /proc/self/fd/1, whose target is no path)
  if (st !== undefined && !st.isFile()) {
    if (st.isSocket()) throw new MrstreamError('MRS_ERR_USAGE', `output ${output} is a socket, which cannot be opened as a file`, { phase: 'output', file: output })
    checkWritable(output, output)
    return { kind: 'device', path: resolve(output), partitions: 1 }
  }
  // a symlink's target is the output (the link stays a link)
  const path = st !== undefined ? realpathSync(output) : followLinks(resolve(output))
  checkWritableDir(dirname(path), `output ${output}`, output)
  if (st !== undefined) checkReplaceable(output, path, st)
  return { kind: 'file', path, partitions: 1 }
}

function checkWritable (output: string, path: string): void {
  try {
    accessSync(path, constants.W_OK)
  } catch {
    throw new MrstreamError('MRS_ERR_USAGE', `output ${output} is not writable`, { phase: 'output', file: output })
  }
}

const STICKY = 0o1000
const SETGID = 0o2000

/**
 * An existing file is replaced by a new one renamed over it, given the old one's mode, owner and
 * group (finalAttributes). Where that cannot be done, the run is refused now rather than after
 * the job: a file the user could not write (sort -o could not either); one of another user in a
 * directory with the sticky bit (/tmp), which only its owner may replace; one whose owner and
 * group a new file could not be given (only root may give a file to another user, and only a
 * member to a group). Writing in place instead, as sort -o does, would leave a half-written
 * file after a failure or a signal.
 */
function checkReplaceable (output: string, path: string, st: Stats): void {
  checkWritable(output, path)
  const uid = process.geteuid?.()
  if (uid === undefined) return // (not POSIX)
  const place = { phase: 'output' as const, file: output }
  const dir = statSync(dirname(path))
  if ((dir.mode & STICKY) !== 0 && uid !== 0 && st.uid !== uid && dir.uid !== uid) {
    throw new MrstreamError('MRS_ERR_USAGE', `output ${output} belongs to another user (uid ${st.uid}), in ${dirname(path)}, a directory with the sticky bit where only its owner may replace it: write to another path`, place)
  }
  // what a new file gets: this process's user; its group, or the directory's (set-group-ID)
  const gid = (dir.mode & SETGID) !== 0 ? dir.gid : process.getegid!()
  if (st.uid === uid && st.gid === gid) return
  // whether a file may be given that owner and group (root, a member of the group) only trying tells
  const probe = `${tempPrefix(path)}${process.pid}-${Date.now()}`
  trackTemp(probe)
  try {
    const fd = openSync(probe, 'wx', 0o600)
    try { fchownSync(fd, st.uid, st.gid) } finally { closeSync(fd) }
  } catch (e) {
    throw new MrstreamError('MRS_ERR_USAGE', `output ${output} belongs to uid ${st.uid}, gid ${st.gid}: mrstream replaces a file by renaming a new one over it, which could not be given that owner and group (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): write to another path, or run as its owner`, place, e)
  } finally {
    untrackTemp(probe)
    rmSync(probe, { force: true })
  }
}

/** Where a chain of symlinks ends (which need not exist yet: `-o link` whose target is to be made). */
function followLinks (path: string): string {
  for (let hops = 0; hops < 40; hops++) {
    if (lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() !== true) return path
    // (relative to the link's real directory, as the kernel resolves it: its parent may be a link too)
    path = resolve(realpathSync(dirname(path)), readlinkSync(path))
  }
  throw new MrstreamError('MRS_ERR_USAGE', `output ${path}: too many levels of symbolic links`, { phase: 'output', file: path })
}

/**
 * A directory that must take new files (an output is written beside its path and renamed into
 * place; --stats makes its file): a usage error naming `what` (`output X`, `--stats X`) if not.
 */
export function checkWritableDir (dir: string, what: string, file?: string): void {
  const place = file === undefined ? {} : { phase: 'output' as const, file }
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new MrstreamError('MRS_ERR_USAGE', `${what}: directory ${dir} does not exist`, place)
  try {
    accessSync(dir, constants.W_OK | constants.X_OK)
  } catch {
    throw new MrstreamError('MRS_ERR_USAGE', `${what}: directory ${dir} is not writable`, place)
  }
}

// highland, loaded when output goes to a pipe: loading it took 15-20 ms of the start of the main
// thread, and of every worker whose job imports 'mrstream' (this module comes with it)
const require = createRequire(import.meta.url)

/** The fragments, one after another, as one stream of WRITE_SLICE buffers (highland: per chunk, not per line). */
function readAll (fragments: string[]): NodeJS.ReadableStream {
  const _ = require('highland') as typeof Highland
  return _(fragments).map(f => _<Buffer>(createReadStream(f, { highWaterMark: WRITE_SLICE }))).sequence().toNodeStream({ objectMode: false })
}

async function concatInto (parts: string[], dest: NodeJS.WritableStream): Promise<void> {
  await pipeline(readAll(parts), dest, { end: false })
  // pipeline is done when the parts are read; a pipe may still hold writes in dest's buffer
  // (stdout is not ended), and process.exit would drop them
  await new Promise<void>((resolve, reject) => { dest.write('', err => (err ? reject(err) : resolve())) })
}

// between slices of a plain copy, the event loop runs (a signal is handled)
const SLICE_BYTES = 64 << 20

/**
 * Lets a signal's handler run. It runs in the event loop's poll phase, which a setImmediate
 * set from that phase skips: the copy would go on to its end, the signal seen only after.
 * The second one is set from the check phase, and the loop polls before it runs.
 */
async function letSignalsIn (): Promise<void> {
  await new Promise(resolve => setImmediate(resolve))
  await new Promise(resolve => setImmediate(resolve))
}

/**
 * The fragments appended to a regular file's descriptor with plain reads and writes, yielding
 * to the event loop between fragments and slices: 200 MB took 65 ms this way, 140 ms through a read stream.
 * A read and a write at a time of WRITE_SLICE (a 1.1 GB output: 0.35-0.39 s; 1.17-1.38 s with 1 MB).
 */
async function appendTo (fd: number, parts: string[]): Promise<void> {
  const buf = Buffer.allocUnsafe(WRITE_SLICE)
  let sinceYield = 0
  for (const part of parts) {
    const from = openSync(part, 'r')
    try {
      for (let n = readSync(from, buf, 0, buf.length, null); n > 0; n = readSync(from, buf, 0, buf.length, null)) {
        for (let off = 0; off < n;) off += writeSync(fd, buf, off, n - off)
        if ((sinceYield += n) >= SLICE_BYTES) {
          sinceYield = 0
          await letSignalsIn()
        }
      }
    } finally { closeSync(from) }
    await letSignalsIn()
  }
}

/**
 * The fragments into a new file of `mode` (less the umask); `finish` is given its descriptor once
 * they are all in. The first fragment becomes the file where it can (adopt), the others are
 * appended: a single reduce task's output is not copied at all.
 */
async function concatToFile (parts: string[], path: string, mode = 0o666, finish?: (fd: number) => void): Promise<void> {
  try {
    const adopted = parts.length > 0 && adopt(parts[0]!, path)
    const fd = adopted ? openSync(path, 'a') : openSync(path, 'wx', mode)
    try {
      if (adopted) fchmodSync(fd, mode & ~process.umask()) // (as the new file would have been made)
      await appendTo(fd, adopted ? parts.slice(1) : parts)
      finish?.(fd)
    } finally { closeSync(fd) }
  } catch (e) {
    throw writeError(e, path, 'output')
  }
}

/**
 * Makes the fragment `part` the new file `path` without copying its bytes: a hard link (which,
 * as open's 'wx', never replaces a file), then the fragment's own name removed. False, having
 * done nothing, where that cannot be done (the temp directory on another filesystem, EXDEV;
 * a filesystem without hard links): the caller copies.
 */
function adopt (part: string, path: string): boolean {
  try {
    linkSync(part, path)
  } catch {
    return false
  }
  try { unlinkSync(part) } catch {} // (else it goes with the temp directory)
  return true
}

/**
 * The mode, owner and group a whole output file gets, just before it is renamed into place: an
 * existing file's own (as one written in place would keep; not setuid bits, which a write in
 * place clears), else the umask's mode, as any new file gets.
 */
function finalAttributes (fd: number, path: string): void {
  const old = statSync(path, { throwIfNoEntry: false })
  if (old === undefined) return fchmodSync(fd, 0o666 & ~process.umask())
  const now = fstatSync(fd)
  if (now.uid !== old.uid || now.gid !== old.gid) fchownSync(fd, old.uid, old.gid)
  fchmodSync(fd, old.mode & 0o777)
}

/**
 * stdout's descriptor when it is a regular file (`> out`), else undefined. Only the process's
 * own stdout: a stream a library caller passed may hold writes of its own, or a position.
 */
function regularFileFd (stream: NodeJS.WritableStream): number | undefined {
  if (stream !== process.stdout) return undefined
  try { return fstatSync(1).isFile() ? 1 : undefined } catch { return undefined }
}

/**
 * The fragments written into an existing device or pipe with explicit writes (a stream reports
 * a full device as written after destroyed, not as ENOSPC), asynchronously: a pipe without a
 * reader blocks its open, and signals must still stop the job. Returns true when a pipe's reader
 * closed it early, a clean stop as for stdout.
 */
async function copyInto (parts: string[], path: string): Promise<boolean> {
  const buf = Buffer.allocUnsafe(WRITE_SLICE)
  let out: FileHandle | undefined
  try {
    out = await fsp.open(path, 'w')
    for (const part of parts) {
      const from = await fsp.open(part, 'r')
      try {
        for (let n = (await from.read(buf, 0, buf.length)).bytesRead; n > 0; n = (await from.read(buf, 0, buf.length)).bytesRead) {
          for (let off = 0; off < n;) off += (await out.write(buf, off, n - off)).bytesWritten
        }
      } finally { await from.close() }
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EPIPE') return true
    throw writeError(e, path, 'output')
  } finally {
    await out?.close().catch(() => {})
  }
  return false
}

/**
 * Where an output is written before it is renamed into place: beside it (a rename across
 * filesystems fails), hidden, named after it and the run's process id. `${prefix}PID-MS` for a
 * file, `${prefix}PID-XXXXXX` (mkdtemp) for a directory.
 */
function tempPrefix (path: string): string {
  return join(dirname(path), `.${basename(path)}.mrstream-`)
}

// (what follows the process id: a file's milliseconds, mkdtemp's six characters, and the
// name a removal renames it to first, see removeTmpDir)
const TEMP_REST = /^(\d+|[A-Za-z0-9]{6})(\.removing)?$/

/**
 * Removes the temp files and directories a killed run (SIGKILL cannot be caught) left beside
 * the target, its partial output: those whose process is gone. Returns what to tell the user.
 */
export function removeLeftovers (target: OutputTarget): string[] {
  if (target.kind !== 'file' && target.kind !== 'dir') return []
  const prefix = tempPrefix(target.path)
  return leftByDeadRuns(dirname(prefix), basename(prefix), TEMP_REST).map(path => {
    try {
      rmSync(path, { recursive: true, force: true })
      return `note: removed ${path}, a partial output left by an mrstream run that was killed`
    } catch (e) {
      return `note: ${path} is a partial output left by an mrstream run that was killed; remove it with rm -r (${(e as Error).message})`
    }
  })
}

/**
 * Returns true when stdout was closed by its reader before everything was written. `committed`
 * is called the moment the output is whole in place (renamed, or its last byte written).
 */
export async function commitOutput (
  target: OutputTarget, fragments: string[][], stdout: NodeJS.WritableStream, committed: () => void = () => {}
): Promise<boolean> {
  if (target.kind === 'sink') {
    await target.sink.drained()
    return false
  }
  if (target.kind === 'stdout') {
    const fd = regularFileFd(stdout)
    try {
      if (fd !== undefined) await appendTo(fd, fragments.map(f => f[0]!))
      else await concatInto(fragments.map(f => f[0]!), stdout)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPIPE' || (e as NodeJS.ErrnoException).code === 'ERR_STREAM_DESTROYED') return true
      throw writeError(e, 'stdout', 'output')
    }
    committed()
    return false
  }
  if (target.kind === 'device') {
    const closed = await copyInto(fragments.map(f => f[0]!), target.path)
    if (!closed) committed()
    return closed
  }
  if (target.kind === 'file') {
    const tmp = `${tempPrefix(target.path)}${process.pid}-${Date.now()}`
    trackTemp(tmp)
    try {
      // 0600 until whole: a partial output, here or left by a killed run, is no one else's to read
      await concatToFile(fragments.map(f => f[0]!), tmp, 0o600, fd => finalAttributes(fd, target.path))
      renameSync(tmp, target.path)
      committed()
      untrackTemp(tmp)
    } catch (e) {
      untrackTemp(tmp)
      rmSync(tmp, { force: true })
      throw e instanceof MrstreamError ? e : writeError(e, target.path, 'output')
    }
    return false
  }
  // mkdtemp makes it 0700, which keeps the partial part files no one else's to read; once whole,
  // it gets the user's umask, as a directory made by mkdir would
  const tmpDir = mkdtempSync(`${tempPrefix(target.path)}${process.pid}-`)
  trackTemp(tmpDir)
  try {
    for (let p = 0; p < target.partitions; p++) {
      await concatToFile(fragments.map(f => f[p]!), join(tmpDir, `part-${String(p).padStart(5, '0')}`))
    }
    writeFileSync(join(tmpDir, '_SUCCESS'), '')
    chmodSync(tmpDir, 0o777 & ~process.umask())
    renameSync(tmpDir, target.path)
    committed()
    untrackTemp(tmpDir)
  } catch (e) {
    untrackTemp(tmpDir)
    rmSync(tmpDir, { recursive: true, force: true })
    throw e instanceof MrstreamError ? e : writeError(e, target.path, 'output')
  }
  return false
}
