// Hadoop Streaming phases: `mrstream map|combine|reduce --job FILE [--step N]`, each one
// process reading stdin and writing stdout, as Hadoop starts them, one per task:
//   hadoop jar hadoop-streaming.jar -files job.js -mapper 'mrstream map --job job.js' \
//     -combiner 'mrstream combine --job job.js' -reducer 'mrstream reduce --job job.js' ...
// Between phases a pair is one line, KEY<TAB>VALUE (the protocol): the key as JSON (keys are
// JSON types, docs/semantics.md; equal keys give equal bytes, so a byte-order sort groups them, and JSON
// escapes tabs and newlines), the value as JSON when JSON gives it back unchanged, else `=`
// and its msgpack in base64 (-0, NaN, bigint, Date, Map, Set, bytes, undefined: lossless, as
// a spill is). The last step's reduce writes the job's output format, so that
//   cat in | mrstream map --job j | LC_ALL=C sort -t$'\t' -k1,1 | mrstream reduce --job j
// prints the lines `mrstream --job j < in` prints (docs/cli.md).
//
// A job with `groupBy = n` writes a key as two fields, GROUP<TAB>ORDER<TAB>VALUE: the group
// (the key's first element, or its first n, as JSON: what reduce receives) and the rest of the
// key as the hex of its order-preserving encoding (codec/keys.ts), so that byte order on the two
// fields is key order; reduce groups the lines by the first field. Hadoop needs to be told:
//   -D stream.num.map.output.key.fields=2
//   -D mapreduce.partition.keypartitioner.options=-k1,1
//   -partitioner org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner
// (locally: sort -t$'\t' -k1,2).
//
// combine and reduce read their sorted input synchronously, so that a key's values stream to
// the job's one-pass iterable however many there are; the input must be sorted by key in byte
// order (Hadoop's shuffle, `LC_ALL=C sort`), which is checked.
import { readSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { LateEmitError, MrstreamError, describeThrown, overBadRecordLimit } from '../errors.js'
import { checkGroupKey, decodeKey, encodeKey, groupEnd, groupKeyOf, showKey, type Key } from '../codec/keys.js'
import { packValue, unpackValue } from '../codec/values.js'
import { formatPair } from '../output/format.js'
import { chunksOf } from '../input/read.js'
import { countLines, lineTooLong, longLineAt } from '../input/lines.js'
import { RecordError, recordsOf, type Format } from '../input/records.js'
import { formatOfName } from '../input/formats.js'
import { builtinCounters, type CounterName, UserCounters } from '../counters.js'
import { LineBuffer, WRITE_SLICE } from '../codec/bytes.js'
import { isMapOnly, jobError, type Context, type Job } from '../job/job.js'
import { writeError } from '../output/commit.js'
import { StagedLines } from '../reduce/staged.js'
import { silentCombine } from '../map/combine.js'
import { guardOnePass, misusedSince, misuseCount, newNotes, onePassHint, stepWarnings, takeMisuse } from '../reduce/mistakes.js'
import { checkTmpBase, makeTmpDir, removeTmpDir } from '../exec/tmp.js'
import { Progress } from './status.js'

export type StreamingPhase = 'map' | 'combine' | 'reduce'

export interface StreamingOptions {
  phase: StreamingPhase
  /** The job's steps, and which one (1-based) this phase runs. */
  steps: Job[]
  step: number
  /** The input's format; undefined: by the extension of the file Hadoop names (formats.ts), else lines. */
  format: Format | undefined
  outputFormat: 'tsv' | 'ndjson'
  maxBadRecords: number
  maxLineBytes: number
  /** Where a key's output waits past 1 MB, with --max-bad-records (default: the OS temp dir). */
  tmpDir: string | undefined
  stdin: NodeJS.ReadableStream
  /** stderr, for the counters as Hadoop `reporter:counter:` lines and notes of skipped records (none with -q). */
  report: ((line: string) => void) | undefined
  /** stderr, for warnings of likely mistakes (a reduce that wrote nothing: mistakes.ts) */
  warn?: ((message: string) => void) | undefined
  env: Record<string, string | undefined>
  /** How often, at most, a phase making progress says so (a `reporter:status:` line, status.ts); default a minute. */
  statusEveryMs?: number
}

const STATUS_EVERY_MS = 60_000

const CHUNK = 1 << 20
const BINARY = '='

// --- the protocol -------------------------------------------------------------------------

/** A pair's protocol line; throws KeyError/ValueError for what the engine cannot carry. */
export function pairLine (key: unknown, value: unknown, groupBy?: number): string {
  return keyText(key, groupBy) + '\t' + valueText(value) + '\n'
}

/** A key's protocol text: its JSON, or with groupBy, GROUP<TAB>ORDER (see the top of this file). */
function keyText (key: unknown, groupBy: number | undefined): string {
  const ekey = encodeKey(key) // refuses keys docs/semantics.md does not allow, as a local run does
  if (groupBy === undefined) return JSON.stringify(key)
  checkGroupKey(key, groupBy)
  const end = groupEnd(ekey, groupBy)
  return JSON.stringify(groupKeyOf(key as Key[], groupBy)) + '\t' + Buffer.from(ekey.slice(end), 'latin1').toString('hex')
}

/** The key of GROUP<TAB>ORDER text: the group's prefix of the key's encoding, then ORDER's bytes. */
function parseGroupedKey (group: string, order: string, groupBy: number): unknown {
  if (!/^(?:[0-9a-f]{2})+$/.test(order)) throw new Error(`the order field ${JSON.stringify(order.slice(0, 80))} is not the hex mrstream map writes`)
  const g = encodeKey(parseKey(group))
  if (groupBy > 1 && groupEnd(g, groupBy) !== g.length - 1) throw new Error(`the group ${group.slice(0, 80)} is not an array of ${groupBy} keys`)
  const ekey = (groupBy === 1 ? '\x06' + g : g.slice(0, -1)) + Buffer.from(order, 'hex').toString('latin1')
  let key: unknown
  try { key = decodeKey(ekey) } catch { key = undefined }
  if (key === undefined || encodeKey(key) !== ekey) throw new Error(`the order field ${JSON.stringify(order.slice(0, 80))} does not complete the key`)
  return key
}

function valueText (v: unknown): string {
  return jsonExact(v, 0) ? JSON.stringify(v) : BINARY + packValue(v).toString('base64')
}

/** Whether JSON.parse(JSON.stringify(v)) is v again, to the last detail. */
function jsonExact (v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string': return v.isWellFormed() // packValue refuses the rest, with its message
    case 'number': return Number.isFinite(v) && !Object.is(v, -0)
    case 'boolean': return true
    case 'object': break
    default: return false
  }
  if (v === null) return true
  if (depth > 100) return false
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!(i in v) || !jsonExact(v[i], depth + 1)) return false
    return true
  }
  if (Object.getPrototypeOf(v) !== Object.prototype || Object.hasOwn(v, '__proto__') || Object.getOwnPropertySymbols(v).length > 0) return false
  for (const k in v) if (!jsonExact((v as Record<string, unknown>)[k], depth + 1)) return false
  return true
}

/** A protocol line's key text and value, or why it is not one. */
function splitLine (line: string): { keyText: string, valueText: string } | string {
  const tab = line.indexOf('\t')
  if (tab === -1) return 'no TAB between key and value'
  return { keyText: line.slice(0, tab), valueText: line.slice(tab + 1) }
}

/** A key as mrstream map wrote it: JSON of a key, in JSON.stringify's one spelling (`1.0` or `"\\u0061"` would group apart from `1` and `"a"`). */
function parseKey (text: string): unknown {
  const key = JSON.parse(text) as unknown
  encodeKey(key)
  if (JSON.stringify(key) !== text) throw new Error(`not written as JSON.stringify writes it (${JSON.stringify(key)})`)
  return key
}

function parseValue (text: string): unknown {
  if (text.startsWith(BINARY)) return unpackValue(Buffer.from(text.slice(1), 'base64'))
  return JSON.parse(text)
}

// --- output -------------------------------------------------------------------------------

/** stdout through a 1 MB buffer, written synchronously (a phase is a process of its own). */
class Out extends LineBuffer {
  constructor () { super(CHUNK) }

  protected writeOut (bytes: Uint8Array): void { writeStdout(bytes) }
}

/**
 * stdout's reader went away (EPIPE): the phase ends, successfully. A class of its own so that
 * no job function that was writing when it happened gets it pinned on it.
 */
export class StdoutClosed extends Error {
  readonly code = 'EPIPE'
}

function writeStdout (bytes: Uint8Array): void {
  const wait = new Backoff()
  let off = 0
  while (off < bytes.length) {
    try {
      off += writeSync(1, bytes, off, Math.min(WRITE_SLICE, bytes.length - off))
      wait.reset()
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'EPIPE') throw new StdoutClosed('stdout closed by its reader')
      if (code !== 'EAGAIN') throw writeError(e, 'stdout')
      wait.pause() // a pipe Node made non-blocking (process.stdout): wait for the reader
    }
  }
}

/** Waits for a non-blocking pipe: 50 us at first, doubling to 5 ms (a fixed 5 ms tripled a slow reader's time). */
class Backoff {
  private static readonly cell = new Int32Array(new SharedArrayBuffer(4))
  private ms = 0.05
  pause (): void {
    Atomics.wait(Backoff.cell, 0, 0, this.ms)
    this.ms = Math.min(5, 2 * this.ms)
  }

  reset (): void { this.ms = 0.05 }
}

// --- input of combine and reduce ----------------------------------------------------------

/** stdin's lines, read synchronously (without their \n, or \r\n). */
class Lines {
  line = 0
  private buf = Buffer.allocUnsafe(CHUNK)
  private lines: string[] = []
  private at = 0
  private carry = 0
  private eof = false

  constructor (private readonly maxLineBytes: number) {}

  next (): string | undefined {
    while (this.at === this.lines.length) {
      if (this.eof) return undefined
      this.fill()
    }
    this.line++
    return this.lines[this.at++]
  }

  private fill (): void {
    if (this.carry === this.buf.length) {
      const bigger = Buffer.allocUnsafe(2 * this.buf.length)
      this.buf.copy(bigger, 0, 0, this.carry)
      this.buf = bigger
    }
    const n = readStdin(this.buf, this.carry)
    const filled = this.carry + n
    if (n === 0) this.eof = true
    // only the new bytes can hold the last newline (the carried ones have none)
    const nl = n === 0 ? -1 : this.buf.subarray(this.carry, filled).lastIndexOf(10)
    const cut = n === 0 ? filled : nl === -1 ? 0 : this.carry + nl + 1
    // a line can only be longer than the limit if the buffer is (it doubles once the carry fills it)
    const long = this.maxLineBytes < this.buf.length ? longLineAt(this.buf.subarray(0, cut), this.maxLineBytes) : -1
    if (long !== -1) throw lineTooLong('-', this.line + 1 + long, this.maxLineBytes)
    if (filled - cut > this.maxLineBytes) throw lineTooLong('-', this.line + 1 + (cut === 0 ? 0 : countLines(this.buf.subarray(0, cut))), this.maxLineBytes)
    this.lines = cut === 0 ? [] : this.buf.toString('utf8', 0, cut).split('\n')
    if (cut > 0 && this.buf[cut - 1] === 10) this.lines.pop() // the empty string after the last \n
    for (let i = 0; i < this.lines.length; i++) if (this.lines[i]!.endsWith('\r')) this.lines[i] = this.lines[i]!.slice(0, -1)
    this.at = 0
    this.buf.copy(this.buf, 0, cut, filled)
    this.carry = filled - cut
  }
}

function readStdin (buf: Buffer, at: number): number {
  const wait = new Backoff()
  for (;;) {
    try {
      return readSync(0, buf, at, buf.length - at, null)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'EAGAIN') { wait.pause(); continue }
      if (code === 'EOF' || code === 'EBADF') return 0
      throw new MrstreamError('MRS_ERR_INPUT', `input -: read failed: ${(e as Error).message}`, { phase: 'input', file: '-' }, e)
    }
  }
}

// --- the phases -----------------------------------------------------------------------------

type Counts = Partial<Record<CounterName, number>>

export async function runStreamingPhase (o: StreamingOptions): Promise<void> {
  const job = o.steps[o.step - 1]!
  const user = new UserCounters()
  const file = o.env.mapreduce_map_input_file ?? o.env.map_input_file ?? '-'
  const ctx: Context = { file: o.phase === 'map' ? file : '', line: 0, count: (name, n = 1) => user.add(name, n) }
  const counts: Counts = {}
  if (o.phase !== 'map' && isMapOnly(job)) {
    throw new MrstreamError('MRS_ERR_USAGE', `${o.steps.length > 1 ? `step ${o.step} of the job` : 'the job'} is map-only (no reduce): it has no ${o.phase} phase; its map's output is the ${o.step === o.steps.length ? 'output' : 'next step\'s input'} (Hadoop: -numReduceTasks 0)`, { phase: o.phase })
  }
  const out = new Out()
  const progress = new Progress(o.phase, o.report, o.statusEveryMs ?? STATUS_EVERY_MS)
  if (o.phase === 'map' && job.partition !== undefined) {
    // Hadoop's partitioner decides which reducer gets a key; it cannot call the job's
    o.report?.('mrstream: note: the job\'s partition() is not used under Hadoop Streaming: keys go to reducers by Hadoop\'s partitioner (a hash of the key text)\n')
  }
  if (o.phase === 'map') await mapPhase(o, job, ctx, counts, out, progress)
  else await groupPhase(o, job, ctx, counts, out, progress)
  out.flush()
  if (o.report === undefined) return
  // Hadoop adds up counters of the same name from every task, combiners' with the rest
  const label = (name: CounterName): string => o.phase === 'combine' && name === 'keys' ? 'keys combined' : o.phase === 'combine' && name === 'written' ? 'records combined' : builtinCounters[name]
  for (const [name, n] of Object.entries(counts) as Array<[CounterName, number]>) o.report(`reporter:counter:mrstream,${label(name)},${n}\n`)
  for (const [name, n] of user.values) o.report(`reporter:counter:job,${name.replace(/[,\r\n]/g, ' ')},${counterAmount(n)}\n`)
}

/** A counter's amount as Hadoop reads it (a long: digits, never `1e+21`). */
function counterAmount (n: number): string {
  return Number.isFinite(n) ? BigInt(Math.round(n)).toString() : '0'
}

/** Counts a bad record, or throws once there are more than --max-bad-records (in this task). */
function badRecord (o: StreamingOptions, counts: Counts, err: MrstreamError): void {
  counts.badRecords = (counts.badRecords ?? 0) + 1
  if (counts.badRecords > o.maxBadRecords) throw overBadRecordLimit(err, o.maxBadRecords)
  o.report?.(`mrstream: skipped bad record: ${err.message}\n`)
}

async function mapPhase (o: StreamingOptions, job: Job, ctx: Context, counts: Counts, out: Out, progress: Progress): Promise<void> {
  // a later step's map reads the protocol lines the step before it wrote
  const format = o.step === 1 ? o.format ?? (ctx.file === '-' ? 'lines' : formatOfName(ctx.file)) : 'lines'
  const start = Number(o.env.mapreduce_map_input_start ?? o.env.map_input_start ?? 0)
  if ((format === 'csv' || format === 'file') && start > 0) {
    throw new MrstreamError('MRS_ERR_USAGE', `${o.format === undefined ? `${ctx.file}: a ${format} input` : `--format ${format}`} needs whole files, and this map task has a split from byte ${start} of ${ctx.file} (make Hadoop give each map task whole files: -D mapreduce.input.fileinputformat.split.minsize= more than the largest file's bytes, or gzip the files, which Hadoop does not split; or use --format lines/ndjson)`, { phase: 'map', file: ctx.file })
  }
  const pending: string[] = []
  // a map-only job's last step writes the output itself (Hadoop gives the lines to the output format)
  const line = isMapOnly(job) && o.step === o.steps.length
    ? (k: unknown, v: unknown): string => { encodeKey(k); return formatPair(o.outputFormat, k, v) }
    : (k: unknown, v: unknown): string => pairLine(k, v, job.groupBy)
  // each call's emit works only while the call runs (see map-task.ts); `live`: the running call's number
  let calls = 0
  let live = 0
  let records = 0
  let pairs = 0
  for await (const chunk of chunksOf('-', { format, chunkBytes: CHUNK, maxLineBytes: o.maxLineBytes, stdin: o.stdin })) {
    const got = recordsOf(chunk, format)
    for (const e of got.errors) badRecord(o, counts, e.named(ctx.file))
    if (got.invalidUtf8 > 0) counts.invalidUtf8 = (counts.invalidUtf8 ?? 0) + got.invalidUtf8
    for (let i = 0; i < got.records.length; i++) {
      ctx.line = got.lines === null ? chunk.firstLine + i : got.lines[i]!
      records++
      progress.read = records
      progress.beat()
      pending.length = 0
      const call = ++calls
      const emit = (k: unknown, v: unknown): void => {
        if (call !== live) throw new LateEmitError('emit was called after its map call returned')
        progress.beat()
        pending.push(line(k, v))
      }
      try {
        const record = o.step === 1 ? got.records[i] : pairRecord(got.records[i] as string, ctx.file, ctx.line)
        live = call
        const r = job.map(record, emit, ctx) as Promise<unknown> | undefined
        if (r !== undefined && r !== null && typeof r.then === 'function') await r
        live = 0
      } catch (e) {
        live = 0
        const err = jobError(e, 'map', `${ctx.file}:${ctx.line}`, { phase: 'map', file: ctx.file, line: ctx.line })
        if (err.code !== 'MRS_ERR_MAP' && err.code !== 'MRS_ERR_PARSE') throw err
        badRecord(o, counts, err)
        continue
      }
      for (const l of pending) out.write(l)
      pairs += pending.length
      progress.written = pairs
    }
  }
  counts.records = records
  counts.pairs = pairs
  if (isMapOnly(job)) counts.written = pairs // (its lines are the step's output)
}

/** A later step's map record: [key, value] from a protocol line. */
function pairRecord (line: string, file: string, lineNo: number): [unknown, unknown] {
  const parts = splitLine(line)
  try {
    if (typeof parts === 'string') throw new Error(parts)
    return [parseKey(parts.keyText), parseValue(parts.valueText)]
  } catch (e) {
    throw new RecordError(`not a pair from the step before (KEY<TAB>VALUE): ${describeThrown(e)}`, lineNo).named(file)
  }
}

/** combine or reduce: the job's function once per key of the sorted input, with its values streamed. */
async function groupPhase (o: StreamingOptions, job: Job, ctx: Context, counts: Counts, out: Out, progress: Progress): Promise<void> {
  const combining = o.phase === 'combine'
  const input = new Groups(new Lines(o.maxLineBytes), o.phase as 'combine' | 'reduce', job.groupBy, progress)
  if (combining && job.combine === undefined) {
    input.copyTo(out) // no combiner: its input goes through as it is
    return
  }
  const fn = combining ? job.combine! : job.reduce!
  const last = o.step === o.steps.length
  // with --max-bad-records, a key's lines wait until its function returned (a failed key writes none)
  const staged = o.maxBadRecords > 0
  if (staged) checkTmpBase(o.tmpDir) // made only if a key's output passes 1 MB: checked now, not then
  let tmp: string | undefined
  const lines = new StagedLines(() => { tmp ??= makeTmpDir(o.tmpDir); return join(tmp, 'staged') }, o.phase as 'combine' | 'reduce')
  const writeLine = (_p: number, line: string): void => { out.write(line) }
  let keys = 0
  let written = 0
  let emits = 0
  const notes = newNotes()
  takeMisuse()
  // each call's emit works only while the call runs (see map-task.ts); `live`: the running call's number
  let live = 0
  try {
    for (let key = input.nextKey(); key !== NO_KEY; key = input.nextKey()) {
      const call = ++keys
      progress.keys = keys
      progress.key = key
      const keyText = input.keyText
      const write = (line: string): void => {
        progress.beat()
        if (staged) lines.push(0, line)
        else { out.write(line); progress.written = ++written }
      }
      const emit = (k: unknown, v: unknown): void => {
        if (call !== live) throw new LateEmitError(`emit was called after its ${o.phase} call returned`)
        emits++
        if (combining) {
          if (protocolText(k, job.groupBy) !== keyText) throw new MrstreamError('MRS_ERR_COMBINE', `combine for key ${showKey(key)} emitted another key ${showKey(k)}; a combiner must keep its key`, { phase: 'combine', key })
          write(pairLine(k, v, job.groupBy))
        } else if (last) {
          encodeKey(k)
          write(formatPair(o.outputFormat, k, v))
        } else {
          write(pairLine(k, v))
        }
      }
      const emitted = emits
      const misused = misuseCount()
      try {
        live = call
        let r = fn(key, input.values(), emit, ctx)
        if (r !== null && typeof r === 'object' && typeof (r as Promise<unknown>).then === 'function') r = await r
        const read = combining ? misusedSince(misused) : undefined
        if (read !== undefined) throw new MrstreamError('MRS_ERR_COMBINE', `combine for key ${showKey(key)}: ${onePassHint(read)}`, { phase: 'combine', key })
        if (r !== undefined) emit(key, r)
        else if (emits === emitted && combining) throw new MrstreamError('MRS_ERR_COMBINE', silentCombine(key), { phase: 'combine', key })
        else if (emits === emitted) notes.silent++
        live = 0
      } catch (e) {
        live = 0
        if (e instanceof StdoutClosed) throw e
        const err = jobError(e, o.phase, `key ${showKey(key)}`, { phase: o.phase, key }, misusedSince(misused))
        if (err.code !== 'MRS_ERR_REDUCE') throw err
        badRecord(o, counts, err)
        lines.discard()
      }
      progress.written = written += lines.commit(writeLine)
    }
  } finally {
    lines.close()
    if (tmp !== undefined) removeTmpDir(tmp)
  }
  counts.keys = keys
  counts.written = written
  notes.misuse = takeMisuse()
  for (const w of stepWarnings(o.phase as 'combine' | 'reduce', { records: 0, pairs: 0, keys }, notes)) o.warn?.(w)
}

const NO_KEY = Symbol('no more keys')

/** A key's protocol text, or undefined for what is not a key (a bigint: docs/semantics.md). */
function protocolText (k: unknown, groupBy: number | undefined): string | undefined {
  try { return keyText(k, groupBy) } catch { return undefined }
}

/**
 * The sorted protocol lines of combine's or reduce's stdin, key by key: nextKey() moves to the
 * next key (skipping what the job left of the last one's values), values() streams its values.
 * With groupBy, a line's key is GROUP<TAB>ORDER; reduce's keys are the groups (its values run
 * on across ORDER), combine's the whole keys.
 */
class Groups {
  /** The current line's key text: what the input is sorted by. */
  keyText = ''
  /** What the current line is grouped by: the key text, or for reduce with groupBy, its GROUP field. */
  private groupText = ''
  private valueText = ''
  private line = 0
  /** false once the input is done */
  private has = false
  /** The group text nextKey last moved to. */
  private group: string | undefined
  private readonly byGroup: boolean

  constructor (private readonly input: Lines, private readonly phase: 'combine' | 'reduce', private readonly groupBy: number | undefined, private readonly progress: Progress) {
    this.byGroup = phase === 'reduce' && groupBy !== undefined
    this.advance()
  }

  nextKey (): unknown {
    while (this.has && this.groupText === this.group) this.advance()
    if (!this.has) return NO_KEY
    this.group = this.groupText
    let key: unknown
    try {
      key = this.parse(this.keyText)
    } catch (e) {
      throw this.error(`the key ${JSON.stringify(this.keyText.slice(0, 80))} is not a key mrstream map writes: ${describeThrown(e)}`)
    }
    return this.byGroup ? groupKeyOf(key as Key[], this.groupBy!) : key
  }

  /** The current key's values, one pass, read from stdin as they are asked for. */
  values (): IterableIterator<unknown> {
    return new GroupValues(this, this.groupText)
  }

  /** The current key's next value, or NO_KEY after its last. */
  nextValue (groupText: string): unknown {
    if (!this.has || this.groupText !== groupText) return NO_KEY
    let v: unknown
    try {
      v = parseValue(this.valueText)
    } catch (e) {
      throw this.error(`the value is not one mrstream map writes: ${describeThrown(e)}`)
    }
    this.advance()
    return v
  }

  copyTo (out: Out): void {
    while (this.has) {
      out.write(this.keyText + '\t' + this.valueText + '\n')
      this.advance()
    }
  }

  /** A key text's key (with groupBy, the whole key of GROUP<TAB>ORDER). */
  private parse (text: string): unknown {
    if (this.groupBy === undefined) return parseKey(text)
    const tab = text.indexOf('\t')
    return parseGroupedKey(text.slice(0, tab), text.slice(tab + 1), this.groupBy)
  }

  private advance (): void {
    const line = this.input.next()
    this.has = line !== undefined
    if (line === undefined) return
    this.line = this.progress.read = this.input.line
    this.progress.beat()
    const tab = line.indexOf('\t')
    const end = tab === -1 || this.groupBy === undefined ? tab : line.indexOf('\t', tab + 1)
    if (end === -1) throw this.error(`no TAB between key and value (expected the ${this.groupBy === undefined ? 'KEY' : 'GROUP<TAB>ORDER'}<TAB>VALUE lines of mrstream map)`)
    const keyText = line.slice(0, end)
    if (keyText !== this.keyText) this.checkOrder(keyText)
    this.keyText = keyText
    this.groupText = this.byGroup ? line.slice(0, tab) : keyText
    this.valueText = line.slice(end + 1)
  }

  /** Fails unless the new key text sorts at or after the last one, in byte order. */
  private checkOrder (keyText: string): void {
    if (this.line === 1 || Buffer.compare(Buffer.from(this.keyText, 'utf8'), Buffer.from(keyText, 'utf8')) <= 0) return
    const show = (text: string): string => { try { return showKey(this.parse(text)) } catch { return JSON.stringify(text.slice(0, 80)) } }
    const fields = this.groupBy === undefined ? '-k1,1' : '-k1,2'
    throw new MrstreamError('MRS_ERR_UNSORTED', `${this.where()}: input is not sorted by key: ${show(keyText)} comes after ${show(this.keyText)}; sort it in byte order (LC_ALL=C sort -t$'\\t' ${fields}, as Hadoop's shuffle does)`, { phase: this.phase, file: '-', line: this.line })
  }

  private where (): string { return `${this.phase} input -:${this.line}` }

  private error (why: string): MrstreamError {
    return new MrstreamError('MRS_ERR_PARSE', `${this.where()}: ${why}`, { phase: this.phase, file: '-', line: this.line })
  }
}

/** A key's values for the job: an iterator, as a local run's (merge.ts). */
class GroupValues implements IterableIterator<unknown> {
  constructor (private readonly groups: Groups, private readonly groupText: string) {}

  [Symbol.iterator] (): this { return this }

  next (): IteratorResult<unknown> {
    const v = this.groups.nextValue(this.groupText)
    return v === NO_KEY ? { value: undefined, done: true } : { value: v, done: false }
  }
}
Object.setPrototypeOf(GroupValues.prototype, Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as object)
guardOnePass(GroupValues.prototype)
