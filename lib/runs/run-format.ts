// The run format: what a run holds and how its end is read. One run: a sorted sequence
// of groups, each a key and its values, as written by a spill or a merge pass. Layout:
//   body:    group*   group = varint keyLen, ekey bytes, varint valueCount, (varint len, msgpack)*
//   footer:  msgpack { groups, values, blocks: [offset, firstEkey, length, crc32, groups][], sizes }
//   trailer: u32 footer length, magic "MRSRUN01"
// Blocks (about BLOCK_BYTES each, always starting at a group) index the run for range reads
// and carry a CRC each, so a reader notices truncation or corruption in what it reads. A
// block's firstEkey is its first group's ekey, or only the first INDEX_KEY_BYTES bytes of a
// longer one (see indexKey). run-writer.ts writes runs, run-reader.ts reads their groups.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { pack, unpack } from 'msgpackr'
import { MrstreamError } from '../errors.js'

const MAGIC = 'MRSRUN01'
const TRAILER = 12
export const BLOCK_BYTES = 64 * 1024
export const WRITE_BUFFER = 1 << 20
// A key or value this long is written to the file from where it is, not through the write
// buffer (which grew to hold it, for good), and a key without its string (see
// RunWriter.largeKey); the footer's sizes name the longest ones.
export const LARGE = WRITE_BUFFER / 4

/** A block of a run: where it starts, its first ekey (see indexKey), its bytes, their crc32, and how many groups start in it. */
export type Block = [offset: number, firstEkey: string, length: number, crc: number, groups: number]

/**
 * The most bytes of a block's first key that its index keeps. Whole keys, a key for every 64 KB
 * block, made the footer of a run of 64 KB keys as large as its body, and every thread that
 * read the footers (the main thread's key ranges, each merge and reduce task) held all of them.
 */
export const INDEX_KEY_BYTES = 256

/**
 * A block's first ekey as the index keeps it: whole when shorter than INDEX_KEY_BYTES, else
 * its first INDEX_KEY_BYTES bytes (a copy: a slice would keep the whole key alive). So an
 * index key of INDEX_KEY_BYTES bytes may be a prefix of the key (see keyAtMost).
 */
export function indexKey (ekey: string): string {
  return ekey.length < INDEX_KEY_BYTES ? ekey : Buffer.from(ekey.slice(0, INDEX_KEY_BYTES), 'latin1').toString('latin1')
}

/**
 * Whether the key a block's index key `first` stands for is <= the ekey `lo`, as far as the
 * index key tells: a prefix below lo's first bytes is; one equal to them might not be (the
 * key may go on above lo), so it is taken as not.
 */
export function keyAtMost (first: string, lo: string): boolean {
  if (first.length < INDEX_KEY_BYTES) return first <= lo
  return first < lo && !lo.startsWith(first)
}

export interface RunInfo {
  path: string
  groups: number
  values: number
  bytes: number
  blocks: Block[]
  /** The longest ekey and packed value in bytes, when over LARGE (else 0): see Sizes. */
  sizes: Sizes
}

/**
 * A run's longest key (ekey) and value in bytes, when longer than LARGE (else 0): a merge holds
 * each run's current key, a reduce decodes a key and a value at a time.
 */
export interface Sizes { key: number, value: number }

export interface RunFooter { groups: number, values: number, blocks: Block[], sizes: Sizes, bodyEnd: number }

/** The footer and trailer that end a run's body (see the layout above). */
export function encodeFooter (f: Omit<RunFooter, 'bodyEnd'>): { footer: Buffer, trailer: Buffer } {
  const footer = pack({ groups: f.groups, values: f.values, blocks: f.blocks, sizes: f.sizes })
  const trailer = Buffer.alloc(TRAILER)
  trailer.writeUInt32BE(footer.length, 0)
  trailer.write(MAGIC, 4, 'latin1')
  return { footer, trailer }
}

export function readFooter (path: string): RunFooter {
  const fd = openRun(path)
  try {
    const size = fstatSync(fd).size
    const corrupt = (why: string): MrstreamError => runCorrupt(path, why)
    if (size < TRAILER) throw corrupt('shorter than its trailer (truncated)')
    const trailer = Buffer.alloc(TRAILER)
    readSync(fd, trailer, 0, TRAILER, size - TRAILER)
    if (trailer.toString('latin1', 4) !== MAGIC) throw corrupt('no trailer (truncated or not a run)')
    const len = trailer.readUInt32BE(0)
    if (len > size - TRAILER) throw corrupt('footer length out of range')
    const footer = Buffer.alloc(len)
    readSync(fd, footer, 0, len, size - TRAILER - len)
    let f: Omit<RunFooter, 'bodyEnd'>
    try { f = unpack(footer) } catch { throw corrupt('unreadable footer') }
    const bodyEnd = size - TRAILER - len
    const last = f.blocks[f.blocks.length - 1]
    if ((last === undefined ? 0 : last[0] + last[2]) !== bodyEnd) throw corrupt('blocks do not cover the body')
    return { ...f, bodyEnd }
  } finally { closeSync(fd) }
}

/** Opens a run to read; a run that is gone is a corrupted one. */
export function openRun (path: string): number {
  try { return openSync(path, 'r') } catch (e) {
    throw new MrstreamError('MRS_ERR_RUN_CORRUPT', `run ${path} is missing: ${(e as Error).message}`, { phase: 'merge', file: path }, e)
  }
}

export function runCorrupt (path: string, why: string): MrstreamError {
  return new MrstreamError('MRS_ERR_RUN_CORRUPT', `run ${path} is corrupted: ${why}`, { phase: 'merge', file: path })
}
