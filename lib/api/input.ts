// run()'s `input` as the engine's inputs: file paths (read as the command line reads them,
// regular files as splits), or one stream: a Node Readable, a highland stream, or an (async)
// iterable. Records in object mode, bytes with `format` (or from a Readable not in object mode).
import type { Readable } from 'node:stream'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { MrstreamError, describeThrown } from '../errors.js'
import type { Input } from '../exec/engine.js'

/** A highland stream, as run() sees one. */
export interface HighlandStream { pipe<U extends NodeJS.WritableStream>(dest: U, options?: { end?: boolean }): U }

/** Files (paths or file: URLs), or one stream of records or bytes. */
export type RunInput = string | URL | ReadonlyArray<string | URL> | NodeJS.ReadableStream | HighlandStream | AsyncIterable<unknown> | Iterable<unknown>

// records taken from a stream or an iterable at a time (one batch, one hand-over to the map)
const BATCH = 1024

/** The engine's inputs for `input`; `format` given means a stream's items are bytes. */
export function inputsOf (input: unknown, format: string | undefined): Input[] {
  if (typeof input === 'string' || input instanceof URL) return [filePath(input)]
  if (Array.isArray(input) && input.length > 0 && input.every(i => typeof i === 'string' || i instanceof URL)) return input.map(filePath)
  if (input === null || typeof input !== 'object') throw new MrstreamError('MRS_ERR_USAGE', `input: expected file paths, a Readable or an (async) iterable of records, got ${input === null ? 'null' : typeof input}`)
  const source = isHighland(input) ? (input as { toNodeStream: (o: object) => Readable }).toNodeStream({ objectMode: true }) : input
  const name = '-'
  if (isReadable(source)) {
    const bytes = format !== undefined || !source.readableObjectMode
    return [bytes ? { name, bytes: readSource(source, name) as AsyncIterable<Buffer> } : { name, records: batchesOf(source, name) }]
  }
  if (typeof (source as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' || typeof (source as Iterable<unknown>)[Symbol.iterator] === 'function') {
    const items = source as AsyncIterable<unknown> | Iterable<unknown>
    return [format !== undefined ? { name, bytes: readSource(items, name) as AsyncIterable<Buffer> } : { name, records: batches(items, name) }]
  }
  throw new MrstreamError('MRS_ERR_USAGE', 'input: expected file paths, a Readable or an (async) iterable of records')
}

function filePath (p: string | URL): string {
  const path = p instanceof URL || p.startsWith('file:') ? fileURLToPath(p) : p
  // (records given as an array of strings would be taken for file names: say so)
  if (path !== '-' && !existsSync(path)) throw new MrstreamError('MRS_ERR_INPUT', `input ${path}: no such file (input names files; give records as a stream or an iterable, such as lines.values())`, { phase: 'input', file: path })
  return path
}

function isHighland (x: object): boolean {
  return (x as { __HighlandStream__?: boolean }).__HighlandStream__ === true
}

function isReadable (x: object): x is Readable {
  const r = x as Partial<Readable>
  return typeof r.read === 'function' && typeof r.on === 'function' && typeof r.readableObjectMode === 'boolean'
}

/** A failure of the caller's stream, as the job reports it. */
function readFailed (name: string, e: unknown): MrstreamError {
  if (e instanceof MrstreamError) return e
  return new MrstreamError('MRS_ERR_INPUT', `input ${name}: reading it failed: ${describeThrown(e)}`, { phase: 'input', file: name }, e)
}

async function * readSource<T> (items: AsyncIterable<T> | Iterable<T>, name: string): AsyncGenerator<T> {
  try {
    yield * items
  } catch (e) {
    throw readFailed(name, e)
  }
}

/** Records in batches of up to BATCH from an iterable; a plain array's as slices. */
async function * batches (items: AsyncIterable<unknown> | Iterable<unknown>, name: string): AsyncGenerator<unknown[]> {
  if (Array.isArray(items)) {
    for (let i = 0; i < items.length; i += BATCH) yield items.slice(i, i + BATCH)
    return
  }
  let batch: unknown[] = []
  try {
    for await (const item of items) {
      batch.push(item)
      if (batch.length >= BATCH) {
        yield batch
        batch = []
      }
    }
  } catch (e) {
    throw readFailed(name, e)
  }
  if (batch.length > 0) yield batch
}

/**
 * An object-mode Readable's records in batches of what it holds (read() until it has none),
 * not a promise per record as its async iterator would take.
 */
async function * batchesOf (stream: Readable, name: string): AsyncGenerator<unknown[]> {
  let failed: unknown
  let ended = false
  let wake: (() => void) | undefined
  const onReadable = (): void => wake?.()
  const onEnd = (): void => { ended = true; wake?.() }
  const onError = (e: unknown): void => { failed = e; wake?.() }
  // (destroyed before its end, without an error: its records are not all there)
  const onClose = (): void => { if (!stream.readableEnded) failed ??= new Error('the stream was closed before its end'); wake?.() }
  if (stream.errored !== null) throw readFailed(name, stream.errored)
  stream.on('readable', onReadable)
  stream.on('end', onEnd)
  stream.on('error', onError)
  stream.on('close', onClose)
  try {
    for (;;) {
      const batch: unknown[] = []
      for (let item = stream.read() as unknown; item !== null; item = batch.length < BATCH ? stream.read() as unknown : null) batch.push(item)
      if (batch.length > 0) { yield batch; continue }
      if (failed !== undefined) throw readFailed(name, failed)
      if (ended || stream.readableEnded) return
      await new Promise<void>(resolve => { wake = resolve })
      wake = undefined
    }
  } finally {
    stream.off('readable', onReadable)
    stream.off('end', onEnd)
    stream.off('error', onError)
    stream.off('close', onClose)
    if (!stream.readableEnded) stream.destroy()
  }
}
