// Seeded data generators for the benchmarks. Each kind composes whole lines into one large
// buffer and writes it out in big writes (never one write per line); the same kind, size and
// seed always give the same bytes. Sizes are binary: 64MB = 64 * 2^20 bytes.
//
//   node dist/benchmarks/gen.js <kind> <size> <out-file> [--seed N]
//
// Kinds: words, text, logs, kv, hotkey, lines (see README.md). A file ends at the first line end at
// or after the requested size. words, text and lines are in gen-text.ts, logs in gen-logs.ts.
import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, writeSync } from 'node:fs'
import { basename, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { generateLogs } from './gen-logs.js'
import { generateLines, generateText, generateWords } from './gen-text.js'
import { LineWriter } from './line-writer.js'
import { DATA_DIR } from './paths.js'
import { Random, scramble } from './random.js'

export const KINDS = ['words', 'text', 'logs', 'kv', 'hotkey', 'lines'] as const
export type Kind = typeof KINDS[number]

/** Bumped whenever a generator's output changes, so cached files of older versions are not reused. */
const GEN_VERSION = 3
const MiB = 1 << 20
const GiB = 1 << 30

// ---------------------------------------------------------------------------------------------
// Sizes

/** "64MB", "1GB", "1.5GiB", "500k", "12345" -> bytes (K/M/G are powers of 1024). */
export function parseSize (text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$/i.exec(text.trim())
  if (m === null) throw new Error(`bad size ${JSON.stringify(text)}: expected e.g. 64MB, 1GB, 500KB`)
  const unit = (m[2] ?? 'b').toLowerCase()[0]
  const mul = unit === 'k' ? 1024 : unit === 'm' ? MiB : unit === 'g' ? GiB : 1
  return Math.round(Number(m[1]) * mul)
}

export function formatSize (bytes: number): string {
  if (bytes >= GiB && bytes % (GiB / 4) === 0) return `${bytes / GiB}GB`
  if (bytes >= MiB) return `${+(bytes / MiB).toFixed(1)}MB`
  return `${+(bytes / 1024).toFixed(1)}KB`
}

// ---------------------------------------------------------------------------------------------
// kv and hotkey: key<TAB>integer lines.

/** "key" + 8 hex digits + tab + 0..999 + newline: 15.9 bytes on average. */
const KV_LINE_BYTES = 15.9

/** Keys drawn uniformly from lines/3 ids, so about lines/3 distinct keys. */
function generateKv (w: LineWriter, target: number, rng: Random, seed: number): void {
  const ids = Math.max(1, Math.round(target / KV_LINE_BYTES / 3))
  while (w.size < target) {
    w.startLine()
    w.ascii('key')
    w.hex8(scramble(rng.below(ids), seed))
    w.byte(9)
    w.int(rng.below(1000))
    w.byte(10)
  }
}

/** 90% of lines have the key "hotkey"; the rest spread over (other lines)/3 keys. */
function generateHotkey (w: LineWriter, target: number, rng: Random, seed: number): void {
  const ids = Math.max(1, Math.round(target / KV_LINE_BYTES * 0.1 / 3))
  while (w.size < target) {
    w.startLine()
    if (rng.next() < 0.9) {
      w.ascii('hotkey')
    } else {
      w.ascii('key')
      w.hex8(scramble(rng.below(ids), seed))
    }
    w.byte(9)
    w.int(rng.below(1000))
    w.byte(10)
  }
}

// ---------------------------------------------------------------------------------------------
// Entry points

/** Writes `bytes` (rounded up to a whole line) of `kind` to `out`. */
export function generate (kind: Kind, bytes: number, out: string, seed = 1): void {
  const w = new LineWriter(out)
  const rng = new Random(scramble(seed, 0x1234 + KINDS.indexOf(kind)))
  try {
    switch (kind) {
      case 'words': generateWords(w, bytes, rng); break
      case 'text': generateText(w, bytes); break
      case 'logs': generateLogs(w, bytes, rng, seed); break
      case 'kv': generateKv(w, bytes, rng, seed); break
      case 'hotkey': generateHotkey(w, bytes, rng, seed); break
      case 'lines': generateLines(w, bytes, rng); break
    }
  } finally {
    w.close()
  }
}

/** The cache file for kind + size + seed, in benchmarks/data/ (gitignored). */
export function dataPath (kind: Kind, bytes: number, seed: number): string {
  return join(DATA_DIR, `${kind}-${bytes}b-seed${seed}-v${GEN_VERSION}.txt`)
}

/** The cached file for kind + size + seed, generated first if missing. */
export function ensureData (kind: Kind, bytes: number, seed: number): string {
  const path = dataPath(kind, bytes, seed)
  if (existsSync(path)) return path
  mkdirSync(DATA_DIR, { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  generate(kind, bytes, tmp, seed)
  renameSync(tmp, path)
  return path
}

/** The first `bytes` of a file, cut back to a whole line, cached beside it. */
export function ensureSlice (file: string, bytes: number): string {
  const path = join(DATA_DIR, `${basename(file, '.txt')}.head${bytes}b.txt`)
  if (existsSync(path)) return path
  const buf = Buffer.allocUnsafe(bytes)
  const fd = openSync(file, 'r')
  let got = 0
  try {
    for (let n = 1; n > 0 && got < bytes; got += n) n = readSync(fd, buf, got, bytes - got, got)
  } finally { closeSync(fd) }
  const end = buf.lastIndexOf(10, got - 1) + 1
  const tmp = `${path}.${process.pid}.tmp`
  const out = openSync(tmp, 'w')
  try {
    for (let off = 0; off < end;) off += writeSync(out, buf, off, end - off)
  } finally { closeSync(out) }
  renameSync(tmp, path)
  return path
}

function usage (): never {
  console.error(`usage: node dist/benchmarks/gen.js <${KINDS.join('|')}> <size, e.g. 64MB> <out-file> [--seed N]`)
  process.exit(2)
}

function main (argv: string[]): void {
  const args = [...argv]
  let seed = 1
  const at = args.indexOf('--seed')
  if (at !== -1) {
    seed = Number(args[at + 1])
    if (!Number.isInteger(seed)) usage()
    args.splice(at, 2)
  }
  const [kind, size, out] = args
  if (args.length !== 3 || !KINDS.includes(kind as Kind)) usage()
  const bytes = parseSize(size!)
  const started = process.hrtime.bigint()
  generate(kind as Kind, bytes, out!, seed)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  console.error(`${kind}: ${formatSize(bytes)} -> ${out} in ${seconds.toFixed(1)} s (${(bytes / MiB / seconds).toFixed(0)} MB/s)`)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2))
