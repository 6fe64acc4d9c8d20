// Inputs: files, `-` (stdin), gzip (by name or magic bytes) → chunks of whole records, each
// tagged with its file and first line number. Only the newest read is searched for a newline,
// so a huge line costs linear time, and it fails at --max-line-bytes instead of exhausting
// memory.
import { createReadStream, promises as fsp, constants } from 'node:fs'
import { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { parseCsv } from './csv.js'
import { MrstreamError } from '../errors.js'
import { BOM, countLines, lineTooLong, longLineAt } from './lines.js'
import { LARGE_CHUNK, type Chunk, type Format } from './records.js'
import { largeGarbage } from '../exec/garbage.js'

/**
 * An input the library's caller gives as a stream or an iterable: `bytes`, cut into records by
 * its format as a file's are, or `records` (object mode), in batches. `name` is what ctx.file
 * and messages call it.
 */
export type StreamInput = { name: string, bytes: AsyncIterable<Buffer | Uint8Array | string> } | { name: string, records: AsyncIterable<readonly unknown[]> }

/** A file's path (`-` for stdin), or a stream. */
export type Input = string | StreamInput

export function inputName (input: Input): string {
  return typeof input === 'string' ? input : input.name
}

export interface InputOptions {
  format: Format
  chunkBytes: number
  maxLineBytes: number
  stdin: NodeJS.ReadableStream
  /** The input's bytes, when they come from the library's caller (a stream, an iterable) rather than a file or stdin. */
  source?: AsyncIterable<Buffer | Uint8Array | string>
}

/** Fails before any work starts when an input is missing, unreadable or a directory. */
export async function checkInputs (names: string[]): Promise<void> {
  for (const name of names) {
    if (name === '-') continue
    let st
    try {
      st = await fsp.stat(name)
      await fsp.access(name, constants.R_OK)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message
      throw new MrstreamError('MRS_ERR_INPUT', `input ${name}: ${why}`, { phase: 'input', file: name }, e)
    }
    if (st.isDirectory()) throw new MrstreamError('MRS_ERR_INPUT', `input ${name} is a directory`, { phase: 'input', file: name })
  }
}

/** A regular file that is not gzip (by name or magic bytes): map tasks can read byte ranges of it. */
export async function isSplittableFile (name: string): Promise<boolean> {
  if (name === '-' || name.endsWith('.gz')) return false
  try {
    if (!(await fsp.stat(name)).isFile()) return false
    const fh = await fsp.open(name)
    try {
      const { buffer, bytesRead } = await fh.read(Buffer.alloc(2), 0, 2, 0)
      return !(bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b)
    } finally { await fh.close() }
  } catch {
    return false
  }
}

/** The inputs' total size where each is a regular file read as it is (not stdin, not gzip); else undefined. */
export async function inputBytes (names: string[]): Promise<number | undefined> {
  let total = 0
  for (const name of names) {
    if (!(await isSplittableFile(name))) return undefined
    total += (await fsp.stat(name)).size
  }
  return total
}

async function * bytesOf (name: string, opts: InputOptions): AsyncGenerator<Buffer> {
  // reads no bigger than a chunk, so that a small --memory still gives several tasks
  const readBytes = opts.chunkBytes
  const raw = opts.source ?? (name === '-' ? opts.stdin : createReadStream(name, { highWaterMark: readBytes }))
  const it = (raw as AsyncIterable<Buffer | Uint8Array | string>)[Symbol.asyncIterator]()
  let first = await it.next()
  while (first.done !== true && first.value.length === 0) first = await it.next()
  if (first.done === true) return
  const head = toBuffer(first.value)
  const rest = async function * () {
    yield * slices(head, readBytes)
    for (let r = await it.next(); r.done !== true; r = await it.next()) yield * slices(toBuffer(r.value), readBytes)
  }
  if ((head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) || name.endsWith('.gz')) {
    yield * Readable.from(rest()).pipe(createGunzip({ chunkSize: Math.max(64 * 1024, readBytes) })) as AsyncIterable<Buffer>
  } else {
    yield * rest()
  }
}

function toBuffer (b: Buffer | Uint8Array | string): Buffer {
  if (Buffer.isBuffer(b)) return b
  if (typeof b === 'string') return Buffer.from(b, 'utf8')
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength)
}

/** A caller's write of many MB as reads of at most `most` bytes each (views, not copies): chunks, so tasks, stay their size. */
function * slices (b: Buffer, most: number): Generator<Buffer> {
  if (b.length <= most) {
    if (b.length > 0) yield b
    return
  }
  for (let at = 0; at < b.length; at += most) yield b.subarray(at, at + most)
}

/** Index just past the last complete record in buf (0 if none): the last newline outside quotes for csv. */
function recordEnd (buf: Buffer, format: Format, from: number): number {
  if (format !== 'csv') return buf.lastIndexOf(10) + 1
  let inQuotes = false
  let end = 0
  for (let i = from; i < buf.length; i++) {
    const b = buf[i]
    if (b === 34) inQuotes = !inQuotes
    else if (b === 10 && !inQuotes) end = i + 1
  }
  return end
}

/** The chunks of one input, in order. */
export async function * chunksOf (name: string, opts: InputOptions): AsyncGenerator<Chunk> {
  const cutter = new ChunkCutter(name, opts)
  try {
    for await (const buf of bytesOf(name, opts)) {
      const chunk = cutter.push(buf)
      if (chunk !== undefined) yield chunk
    }
  } catch (e) {
    throw cutter.readFailed(e)
  }
  const chunk = cutter.end()
  if (chunk !== undefined) yield chunk
}

/** Cuts one file's reads into chunks of whole records, counting lines, checking their lengths. */
class ChunkCutter {
  private line = 1
  private pending: Buffer[] = []
  private pendingLen = 0
  private atStart = true
  private columns: string[] | undefined
  // a line longer than a chunk fails as it is read (push); a limit under a chunk needs a look at each line
  private readonly checkLines: boolean

  constructor (private readonly file: string, private readonly opts: InputOptions) {
    this.checkLines = opts.format !== 'file' && opts.maxLineBytes < opts.chunkBytes
  }

  /** Takes the next read; returns a chunk when one is whole. */
  push (read: Buffer): Chunk | undefined {
    const { opts, file } = this
    const buf = this.atStart ? this.start(read) : read
    if (buf === undefined) return undefined
    this.pending.push(buf)
    this.pendingLen += buf.length
    if (opts.format === 'file') {
      if (this.pendingLen > opts.maxLineBytes) throw new MrstreamError('MRS_ERR_LINE_TOO_LONG', `${file}: larger than --max-line-bytes ${opts.maxLineBytes} (--format file reads each file whole)`, this.place())
      return undefined
    }
    if (this.pendingLen < opts.chunkBytes && (this.columns !== undefined || opts.format !== 'csv')) return undefined
    const nlInNewest = opts.format === 'csv' ? 0 : buf.lastIndexOf(10)
    if (nlInNewest === -1) {
      if (this.pendingLen > opts.maxLineBytes) throw lineTooLong(file, this.line + countLines(this.pending[0]!), opts.maxLineBytes)
      return undefined
    }
    let whole = this.joined()
    if (opts.format === 'csv' && this.columns === undefined) {
      if (recordEnd(whole, 'csv', 0) === 0) { this.pending = [whole]; return undefined }
      whole = this.header(whole)
      if (whole.length < opts.chunkBytes) { this.keep(whole); return undefined }
    }
    const cut = opts.format === 'csv' ? recordEnd(whole, 'csv', 0) : this.pendingLen - buf.length + nlInNewest + 1
    if (cut === 0) {
      if (whole.length > opts.maxLineBytes) throw new MrstreamError('MRS_ERR_LINE_TOO_LONG', `${file}:${this.line}: record longer than --max-line-bytes ${opts.maxLineBytes}`, this.place())
      this.keep(whole)
      return undefined
    }
    const restLen = whole.length - cut
    const rest = restLen > 0 ? Buffer.from(whole.subarray(cut)) : undefined
    const chunk = this.emit(whole.subarray(0, cut))
    const joined = this.pending.length > 1 ? this.pendingLen : 0
    this.pending = rest ? [rest] : []
    this.pendingLen = restLen
    if (joined > LARGE_CHUNK) largeGarbage(joined) // (the reads a long line was joined from)
    return chunk
  }

  /** The last chunk, after the last read. */
  end (): Chunk | undefined {
    const { opts } = this
    // --format file: every file is a record, an empty one too
    if (this.pendingLen === 0 && opts.format !== 'file') return undefined
    let whole = this.joined()
    if (opts.format === 'csv' && this.columns === undefined) whole = this.header(whole)
    if (opts.format !== 'file' && whole.length > opts.maxLineBytes && whole.indexOf(10) === -1) {
      throw lineTooLong(this.file, this.line, opts.maxLineBytes)
    }
    return whole.length > 0 || opts.format === 'file' ? this.emit(whole) : undefined
  }

  /** The error a failed read ends the file with. */
  readFailed (e: unknown): MrstreamError {
    if (e instanceof MrstreamError) return e
    const err = e as NodeJS.ErrnoException
    const why = err.code === 'Z_BUF_ERROR' || /unexpected end/.test(err.message) ? 'truncated gzip data' : err.message
    return new MrstreamError('MRS_ERR_INPUT', `input ${this.file}: read failed after line ${this.line}: ${why}${err.code ? ` (${err.code})` : ''}`, this.place(), e)
  }

  /** The file's first bytes without a BOM, once 3 are read (undefined while fewer are). */
  private start (buf: Buffer): Buffer | undefined {
    if (this.pendingLen + buf.length < 3 && this.opts.format !== 'file') { this.pending.push(buf); this.pendingLen += buf.length; return undefined }
    if (this.pendingLen > 0) { buf = Buffer.concat([...this.pending, buf]); this.pending = []; this.pendingLen = 0 }
    if (buf.subarray(0, 3).equals(BOM)) buf = buf.subarray(3)
    this.atStart = false
    return buf
  }

  private joined (): Buffer {
    return this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingLen)
  }

  private keep (whole: Buffer): void {
    this.pending = [whole]
    this.pendingLen = whole.length
  }

  private place () {
    return { phase: 'input' as const, file: this.file, line: this.line }
  }

  private emit (data: Buffer): Chunk {
    const { file, opts } = this
    if (this.checkLines) {
      const long = longLineAt(data, opts.maxLineBytes)
      if (long !== -1) throw lineTooLong(file, this.line + long, opts.maxLineBytes)
    }
    const chunk: Chunk = { file, firstLine: this.line, data, format: opts.format }
    if (this.columns !== undefined) chunk.columns = this.columns
    this.line += countLines(data)
    return chunk
  }

  /** csv: the first record names the columns of every row of this file; returns the rest. */
  private header (buf: Buffer): Buffer {
    const file = this.file
    const end = recordEnd(buf, 'csv', 0)
    const firstEnd = end === 0 ? buf.length : buf.subarray(0, end).indexOf(10) + 1 || buf.length
    try {
      this.columns = (parseCsv(buf.subarray(0, firstEnd).toString('utf8'), { to_line: 1 }) as string[][])[0] ?? []
    } catch (e) {
      throw new MrstreamError('MRS_ERR_PARSE', `${file}:1: invalid CSV header: ${(e as Error).message}`, { phase: 'input', file, line: 1 }, e)
    }
    this.line += countLines(buf.subarray(0, firstEnd))
    return buf.subarray(firstEnd)
  }
}
