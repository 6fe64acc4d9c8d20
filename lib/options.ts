// Command-line options → validated engine options, with their defaults.
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { MrstreamError } from './errors.js'

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4 }

/** "256MB", "2GiB", "64k", "1000" → bytes (K/M/G are powers of 1024, as in sort -S). */
export function parseSize (text: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined
  if (!m || unit === undefined) throw new MrstreamError('MRS_ERR_USAGE', `${option} ${JSON.stringify(text)}: expected a size like 64KB, 256MB or 2GiB`)
  return Math.floor(Number(m[1]) * unit)
}

export function parseCount (text: string, option: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min) throw new MrstreamError('MRS_ERR_USAGE', `${option} ${JSON.stringify(text)}: expected a whole number >= ${min}`)
  if (Number(text) > max) throw new MrstreamError('MRS_ERR_USAGE', `${option} ${JSON.stringify(text)}: at most ${max}`)
  return Number(text)
}

export function parseChoice<T extends string> (text: string, option: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) throw new MrstreamError('MRS_ERR_USAGE', `${option} ${JSON.stringify(text)}: expected one of ${choices.join(', ')}`)
  return text as T
}

export const defaults = {
  memory: 256 * 1024 ** 2,
  minMemory: 32 * 1024,
  workers: () => availableParallelism(),
  maxLineBytes: 64 * 1024 ** 2,
  taskTimeoutSec: 600,
  fanIn: defaultFanIn,
}

/**
 * Runs merged at once: 64, fewer when `ulimit -n` is low (every worker may hold that many runs
 * open, besides the main thread's files). An extra merge pass rewrites all the data: on a
 * 1 GB word count, 24 runs took one at a fan-in of 16 and none at 64.
 */
function defaultFanIn (workers: number): number {
  let open = 1024
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))
    if (m) open = Number(m[1])
  } catch {} // not Linux: assume 1024
  return Math.max(2, Math.min(64, Math.floor((open - 32) / workers)))
}
