// A reduce task: merge the runs over one key range [lo, hi), call the job's reduce once per
// key with its values streamed from the runs, and write output lines to this task's fragment
// files (one per output partition). Fragments of consecutive ranges concatenate into one
// sorted output.
import { closeSync, openSync } from 'node:fs'
import { LineBuffer, copyBytes, latin1Write, utf8Slice, utf8Write, viewOf, writeAll } from '../codec/bytes.js'
import { LateEmitError, MrstreamError, overBadRecordLimit, type BadRecord } from '../errors.js'
import { encodeKey, hashEkey, showKey } from '../codec/keys.js'
import { formatPair, needsEscape, toJson, type OutputFormat } from '../output/format.js'
import { Merger } from '../runs/merge.js'
import { isIdentity, jobError, type Context, type Job } from '../job/job.js'
import type { RunReader } from '../runs/run-reader.js'
import { tick } from '../exec/heartbeat.js'
import { StagedLines } from './staged.js'
import { GroupValues } from './groups.js'
import { misusedSince, misuseCount, newNotes, takeMisuse, type ReduceNotes } from './mistakes.js'

export interface ReduceSpec {
  runs: string[]
  lo: string | null
  hi: string | null
  /** One fragment file per output partition. */
  fragments: string[]
  format: OutputFormat
  bufferBytes: number
}

export interface ReduceCounters { keys: number, written: number, badRecords: number }

// keys this long at most are copied by the identity reducer's fast path (longer: decoded)
const COPY_KEY_BYTES = 64 << 10
// output buffered per reduce task, shared by its partitions' fragments (64KB each at least)
const FRAGMENT_BUFFERS = 8 << 20

/**
 * One output partition's fragment file. Lines are encoded straight into a buffer (1 MB, less
 * with many partitions): appending them to a string then writing it cost 560 ms a 64 MB
 * sort-lines job (flattening the rope, then encoding it, two-byte as soon as one line was).
 */
class Fragment extends LineBuffer {
  private fd: number
  private readonly view: DataView
  constructor (readonly path: string, bufferBytes: number) {
    super(bufferBytes)
    this.view = viewOf(this.buf)
    try {
      this.fd = openSync(path, 'w', 0o600)
    } catch (e) {
      const err = e as NodeJS.ErrnoException
      // a reduce task holds a fragment open per part file
      const hint = err.code === 'EMFILE' || err.code === 'ENFILE' ? ': too many open files (fewer --reducers, or a higher ulimit -n)' : `: ${err.message}`
      throw new MrstreamError('MRS_ERR_IO', `reduce: cannot open ${path}${hint}`, { phase: 'reduce', file: path }, e)
    }
  }

  /**
   * A tsv line of a string key and a string or number value, encoded straight into the buffer
   * (no line string to build, flatten and encode). False, having written nothing, when either
   * needs escaping or the line might not fit the buffer: the caller formats the line.
   */
  writeTsv (k: string, v: string | number): boolean {
    // (a lone surrogate would be written as U+FFFD: formatPair refuses it)
    if (typeof v === 'string' && !v.isWellFormed()) return false
    const value = typeof v === 'number' ? toJson(v) : v
    const most = 3 * (k.length + value.length) + 2
    if (this.used + most > this.buf.length) {
      this.flush()
      if (most > this.buf.length) {
        // a line longer than the buffer: its parts one by one, with no string of the line
        if (needsEscape(k) || needsEscape(value)) return false
        this.write(k)
        this.write('\t')
        this.write(value)
        this.write('\n')
        return true
      }
    }
    const b = this.buf
    const start = this.used
    const tab = start + utf8Write(b, k, start)
    if (!unescaped(this.view, start, tab)) return false
    let end = tab + 1
    if (typeof v === 'number') end += latin1Write(b, value, end)
    else if (value.length !== 0) {
      end += utf8Write(b, value, end)
      if (!unescaped(this.view, tab + 1, end)) return false
    }
    b[tab] = 9
    b[end] = 10
    this.used = end + 1
    return true
  }

  /**
   * An identity reduce's line straight from a run: the key's UTF-8 bytes, k[kFrom, kTo), TAB,
   * then the value `r` just read (nextValueRange: `len` bytes) as its UTF-8 bytes, when it is a
   * string with nothing to escape. The key's bytes are checked on the way unless `keyChecked`
   * (a key copied out of the run by copyStringKey already was). False, having written nothing,
   * for a key or value to escape, any other value, or a line that might not fit the buffer:
   * the caller decodes them and formats the line.
   */
  copyLine (k: DataView, kFrom: number, kTo: number, keyChecked: boolean, r: RunReader, len: number): boolean {
    const at = r.valueAt
    const t = r.bytes[at]!
    const head = t >= 0xa0 && t < 0xc0 ? 1 : t === 0xd9 ? 2 : t === 0xda ? 3 : t === 0xdb ? 5 : 0
    if (head === 0) return false
    const klen = kTo - kFrom
    const vlen = len - head
    if (this.used + klen + vlen + 2 > this.buf.length) {
      this.flush()
      if (klen + vlen + 2 > this.buf.length) return false
    }
    const start = this.used
    const tab = start + klen
    if (keyChecked) copyBytes(k, kFrom, kTo, this.view, start)
    else if (!copyUnescaped(k, kFrom, kTo, this.view, start)) return false
    if (vlen !== 0) {
      copyBytes(r.bytesView, at + head, at + len, this.view, tab + 1)
      if (!unescaped(this.view, tab + 1, tab + 1 + vlen)) return false
    }
    this.buf[tab] = 9
    this.buf[tab + 1 + vlen] = 10
    this.used = tab + 2 + vlen
    return true
  }

  protected writeOut (bytes: Uint8Array): void {
    try {
      writeAll(this.fd, bytes)
    } catch (e) {
      const err = e as NodeJS.ErrnoException
      throw new MrstreamError('MRS_ERR_IO', `reduce: cannot write ${this.path}: ${err.code === 'ENOSPC' ? 'No space left on device' : err.message}`, { phase: 'reduce', file: this.path }, e)
    }
  }

  close (): void {
    this.flush()
    closeSync(this.fd)
  }
}

/**
 * Whether UTF-8 bytes [from, to) of `view` hold nothing tsv escapes (\\ \t \r \n; all ASCII, so never
 * inside a multibyte character). 4 bytes at a time: a word with a byte under 14 or a backslash
 * (bit tricks, "hasless" and "haszero": exact) is looked at byte by byte.
 */
export function unescaped (view: DataView, from: number, to: number): boolean {
  let i = from
  for (; i + 4 <= to; i += 4) {
    if (suspect(view.getUint32(i, true))) {
      for (let j = i; j < i + 4; j++) if (escaped(view.getUint8(j))) return false
    }
  }
  for (; i < to; i++) if (escaped(view.getUint8(i))) return false
  return true
}

/** Whether one of a word's 4 bytes is under 14 (NUL, TAB, LF, CR among them) or a backslash: then looked at byte by byte. */
function suspect (w: number): boolean {
  const x = w ^ 0x5c5c5c5c
  return ((((w - 0x0e0e0e0e) & ~w) | ((x - 0x01010101) & ~x)) & 0x80808080) !== 0
}

function escaped (c: number): boolean {
  return c <= 13 ? c === 9 || c === 10 || c === 13 : c === 92
}

/**
 * Copies src[start, end) to dst at `at` unless a byte among them is one tsv escapes or a NUL
 * (a run's key escapes a NUL as 00 FF): false then, with dst partly written. One pass where
 * copying a key and then checking it were two.
 */
function copyUnescaped (src: DataView, start: number, end: number, dst: DataView, at: number): boolean {
  let i = start
  for (; i + 4 <= end; i += 4, at += 4) {
    const w = src.getUint32(i, true)
    if (suspect(w)) {
      for (let j = i; j < i + 4; j++) if (escapedOrNul(src.getUint8(j))) return false
    }
    dst.setUint32(at, w, true)
  }
  for (; i < end; i++, at++) {
    const c = src.getUint8(i)
    if (escapedOrNul(c)) return false
    dst.setUint8(at, c)
  }
  return true
}

function escapedOrNul (c: number): boolean {
  return c === 0 || escaped(c)
}

export interface ReduceTaskOptions { maxBadRecords: number, badSoFar: number }
export interface ReduceTaskResult { counters: ReduceCounters, bad: BadRecord[], notes: ReduceNotes }

export async function reduceTask (job: Job, spec: ReduceSpec, ctx: Context, opts: ReduceTaskOptions): Promise<ReduceTaskResult> {
  const reduce = job.reduce
  if (reduce === undefined || reduce === null) throw new Error('a map-only job has no reduce tasks')
  const counters: ReduceCounters = { keys: 0, written: 0, badRecords: 0 }
  const notes = newNotes()
  takeMisuse() // (a merge task's combine may have read some)
  const bad: BadRecord[] = []
  const fragmentBytes = Math.max(64 << 10, Math.min(1 << 20, Math.floor(FRAGMENT_BUFFERS / spec.fragments.length)))
  const fragments = spec.fragments.map(p => new Fragment(p, fragmentBytes))
  const n = fragments.length
  const merger = new Merger(spec.runs, { lo: spec.lo, hi: spec.hi, bufferBytes: spec.bufferBytes })
  const staged = opts.maxBadRecords > 0
  const tsv = spec.format === 'tsv'
  const lines = new StagedLines(() => `${spec.fragments[0]}.staged`, 'reduce')
  const writeLine = (p: number, line: string): void => { fragments[p]!.write(line) }
  let key: unknown
  const route = (k: unknown, ekey: string | undefined): number => {
    if (n === 1) return 0
    if (job.partition !== undefined) {
      const p = job.partition(k, n)
      if (!Number.isInteger(p) || p < 0 || p >= n) throw new MrstreamError('MRS_ERR_REDUCE', `partition(${showKey(k)}, ${n}) returned ${String(p)}; it must be an integer in [0, ${n})`, { phase: 'reduce', key: k })
      return p
    }
    return hashEkey(ekey ?? encodeKey(k)) % n
  }
  // with groupBy, the group being reduced, and where all its call writes goes (a group stays whole)
  let group: GroupValues | undefined
  let groupPart = 0
  const write = (k: unknown, v: unknown, stage: boolean): void => {
    const current = k === key
    if (!current) encodeKey(k) // refuses unsupported keys
    // (the current key's ekey only for a partition: a string as long as the key)
    const p = group !== undefined ? groupPart : n === 1 ? 0 : route(k, current ? merger.key : undefined)
    if (!stage && tsv && typeof k === 'string' && (typeof v === 'string' || typeof v === 'number') && fragments[p]!.writeTsv(k, v)) {
      counters.written++
      return
    }
    const line = formatPair(spec.format, k, v)
    if (stage) lines.push(p, line)
    else { fragments[p]!.write(line); counters.written++ }
  }
  // Each reduce call gets an emit of its own, that works only while the call runs: an emit from
  // a callback the reduce did not await fails the job, rather than land among a later key's
  // lines (see map-task.ts). `live` is the running call's number (0: none).
  let calls = 0
  let live = 0
  let emits = 0
  // The identity reducer's lines are copied from the runs where key and value are strings with
  // nothing to escape; it cannot fail, so nothing is staged (no decoding of the key, Values
  // iterator, job's call or encoding the line again, for each line).
  const copy = tsv && isIdentity(reduce) && job.partition === undefined && job.groupBy === undefined
  const keyBytes = Buffer.allocUnsafe(copy ? COPY_KEY_BYTES : 0)
  const keyView = viewOf(keyBytes)
  /** The current key's lines, when the key is a string with nothing to escape; else false, having read nothing. */
  const copyGroup = (): boolean => {
    const r0 = merger.member(0)
    if (merger.size === 1 && r0.left === 1 && r0.nextValueInBuffer()) {
      // one line (sort lines: nearly every key), its key and value in the run's buffer: the key
      // is copied once, straight to the fragment, not to keyBytes first
      const kTo = r0.stringKeyEnd()
      if (kTo !== -1) {
        const f = fragments[n === 1 ? 0 : hashEkey(merger.key) % n]!
        const len = r0.nextValueRange() // (in the buffer: the key's bytes stay put)
        if (f.copyLine(r0.bytesView, r0.keyStart, kTo, false, r0, len)) counters.written++
        else write(key = r0.decodedKey(), r0.decodeValue(r0.valueAt, len), false)
        return true
      }
    }
    const klen = r0.copyStringKey(keyView, copyUnescaped)
    if (klen < 0) return false
    const f = fragments[n === 1 ? 0 : hashEkey(merger.key) % n]!
    key = undefined // decoded if a value is not a string to copy
    let values = 0
    for (let i = 0; i < merger.size; i++) {
      const r = merger.member(i)
      while (r.left > 0) {
        if ((++values & 0xffff) === 0) tick() // a hot key can run long
        const len = r.nextValueRange()
        if (f.copyLine(keyView, 0, klen, true, r, len)) {
          counters.written++
          continue
        }
        key ??= utf8Slice(keyBytes, 0, klen)
        write(key, r.decodeValue(r.valueAt, len), false)
      }
    }
    return true
  }
  ctx.file = ''
  ctx.line = 0
  try {
    const groupBy = job.groupBy
    for (let more = merger.next(); more; more = group === undefined ? merger.next() : group.skipRest()) {
      counters.keys++
      if (copy && copyGroup()) continue
      let values: Iterable<unknown>
      if (groupBy === undefined) {
        key = merger.decodedKey()
        values = merger.values()
      } else {
        values = group = new GroupValues(merger, groupBy)
        key = group.key
        groupPart = route(key, group.ekey)
      }
      const emitted = emits
      const misused = misuseCount()
      const call = ++calls
      const emit = (k: unknown, v: unknown): void => {
        if (call !== live) throw new LateEmitError('emit was called after its reduce call returned')
        emits++
        write(k, v, staged)
      }
      try {
        live = call
        let ret = reduce(key, values, emit, ctx)
        if (ret !== null && typeof ret === 'object' && typeof (ret as Promise<unknown>).then === 'function') ret = await ret
        if (ret !== undefined) emit(key, ret)
        else if (emits === emitted) notes.silent++
        live = 0
        if (staged) counters.written += lines.commit(writeLine)
      } catch (e) {
        live = 0
        lines.discard()
        if (e instanceof MrstreamError) throw e
        // a key or value the engine cannot carry fails the job (MRS_ERR_KEY, MRS_ERR_VALUE), as in map
        const err = jobError(e, 'reduce', `key ${showKey(key)}`, { phase: 'reduce', key }, misusedSince(misused))
        counters.badRecords++
        if (err.code !== 'MRS_ERR_REDUCE' || opts.badSoFar + counters.badRecords > opts.maxBadRecords) {
          throw err.code === 'MRS_ERR_REDUCE' ? overBadRecordLimit(err, opts.maxBadRecords) : err
        }
        bad.push({ file: '', line: 0, phase: 'reduce', error: err.message, record: showKey(key) })
      }
    }
    for (const f of fragments) f.close()
  } finally {
    merger.close()
    lines.close()
  }
  notes.misuse = takeMisuse()
  return { counters, bad, notes }
}
