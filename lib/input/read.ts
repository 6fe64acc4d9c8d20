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
import type { Chunk, Format } from './records.js'

export interface InputOptions {
  format: Format
  chunkBytes: number
  maxLineBytes: number
  stdin: NodeJS.ReadableStream
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
export async function isPlainFile (name: string): Promise<boolean> {
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
    if (!(await isPlainFile(name))) return undefined
    total += (await fsp.stat(name)).size
  }
  return total
}

async function * bytesOf (name: string, stdin: NodeJS.ReadableStream, readBytes: number): AsyncGenerator<Buffer> {
  // reads no bigger than a chunk, so that a small --memory still gives several tasks
  const raw = name === '-' ? stdin : createReadStream(name, { highWaterMark: readBytes })
  const it = (raw as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]()
  const first = await it.next()
  if (first.done === true) return
  const head = Buffer.isBuffer(first.value) ? first.value : Buffer.from(first.value)
  const rest = async function * () {
    yield head
    for (let r = await it.next(); r.done !== true; r = await it.next()) yield Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value)
  }
  if ((head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) || name.endsWith('.gz')) {
    yield * Readable.from(rest()).pipe(createGunzip({ chunkSize: Math.max(64 * 1024, readBytes) })) as AsyncIterable<Buffer>
  } else {
    yield * rest()
  }
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
  const file = name
  let line = 1
  let pending: Buffer[] = []
  let pendingLen = 0
  let atStart = true
  let columns: string[] | undefined
  const place = () => ({ phase: 'input' as const, file, line })
  // a line longer than a chunk fails as it is read (below); a limit under a chunk needs a look at each line
  const checkLines = opts.format !== 'file' && opts.maxLineBytes < opts.chunkBytes
  const emit = (data: Buffer): Chunk => {
    if (checkLines) {
      const long = longLineAt(data, opts.maxLineBytes)
      if (long !== -1) throw lineTooLong(file, line + long, opts.maxLineBytes)
    }
    const chunk: Chunk = { file, firstLine: line, data, format: opts.format }
    if (columns !== undefined) chunk.columns = columns
    line += countLines(data)
    return chunk
  }
  const header = (buf: Buffer): Buffer => {
    // csv: the first record names the columns of every row of this file.
    const end = recordEnd(buf, 'csv', 0)
    const firstEnd = end === 0 ? buf.length : buf.subarray(0, end).indexOf(10) + 1 || buf.length
    try {
      columns = (parseCsv(buf.subarray(0, firstEnd).toString('utf8'), { to_line: 1 }) as string[][])[0] ?? []
    } catch (e) {
      throw new MrstreamError('MRS_ERR_PARSE', `${file}:1: invalid CSV header: ${(e as Error).message}`, { phase: 'input', file, line: 1 }, e)
    }
    line += countLines(buf.subarray(0, firstEnd))
    return buf.subarray(firstEnd)
  }
  try {
    for await (let buf of bytesOf(name, opts.stdin, opts.chunkBytes)) {
      if (atStart) {
        if (pendingLen + buf.length < 3 && opts.format !== 'file') { pending.push(buf); pendingLen += buf.length; continue }
        if (pendingLen > 0) { buf = Buffer.concat([...pending, buf]); pending = []; pendingLen = 0 }
        if (buf.subarray(0, 3).equals(BOM)) buf = buf.subarray(3)
        atStart = false
      }
      pending.push(buf)
      pendingLen += buf.length
      if (opts.format === 'file') {
        if (pendingLen > opts.maxLineBytes) throw new MrstreamError('MRS_ERR_LINE_TOO_LONG', `${file}: larger than --max-line-bytes ${opts.maxLineBytes} (--format file reads each file whole)`, place())
        continue
      }
      if (pendingLen < opts.chunkBytes && columns !== undefined) continue
      if (pendingLen < opts.chunkBytes && opts.format !== 'csv') continue
      const nlInNewest = opts.format === 'csv' ? 0 : buf.lastIndexOf(10)
      if (nlInNewest === -1) {
        if (pendingLen > opts.maxLineBytes) throw lineTooLong(file, line + countLines(pending[0]!), opts.maxLineBytes)
        continue
      }
      let whole = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingLen)
      if (opts.format === 'csv' && columns === undefined) {
        if (recordEnd(whole, 'csv', 0) === 0) { pending = [whole]; continue }
        whole = header(whole)
        if (whole.length < opts.chunkBytes) { pending = [whole]; pendingLen = whole.length; continue }
      }
      const cut = opts.format === 'csv' ? recordEnd(whole, 'csv', 0) : pendingLen - buf.length + nlInNewest + 1
      if (cut === 0) {
        if (whole.length > opts.maxLineBytes) throw new MrstreamError('MRS_ERR_LINE_TOO_LONG', `${file}:${line}: record longer than --max-line-bytes ${opts.maxLineBytes}`, place())
        pending = [whole]
        pendingLen = whole.length
        continue
      }
      const restLen = whole.length - cut
      const rest = restLen > 0 ? Buffer.from(whole.subarray(cut)) : undefined
      yield emit(whole.subarray(0, cut))
      pending = rest ? [rest] : []
      pendingLen = restLen
    }
  } catch (e) {
    if (e instanceof MrstreamError) throw e
    const err = e as NodeJS.ErrnoException
    const why = err.code === 'Z_BUF_ERROR' || /unexpected end/.test(err.message) ? 'truncated gzip data' : err.message
    throw new MrstreamError('MRS_ERR_INPUT', `input ${file}: read failed after line ${line}: ${why}${err.code ? ` (${err.code})` : ''}`, place(), e)
  }
  // --format file: every file is a record, an empty one too
  if (pendingLen > 0 || opts.format === 'file') {
    let whole = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingLen)
    if (opts.format === 'csv' && columns === undefined) whole = header(whole)
    if (opts.format !== 'file' && whole.length > opts.maxLineBytes && whole.indexOf(10) === -1) {
      throw lineTooLong(file, line, opts.maxLineBytes)
    }
    if (whole.length > 0 || opts.format === 'file') yield emit(whole)
  }
}
