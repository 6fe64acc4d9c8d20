// The engine's sizes and cuts, decided from numbers alone: how the memory budget is shared,
// which runs each merge pass merges, and the key ranges of the reduce tasks.
import { groupEnd } from '../codec/keys.js'
import type { Block, RunInfo } from '../runs/run-format.js'
/**
 * How the budget is split: the sort buffers, and the map input held for retries when it
 * comes from stdin, gzip or csv (`held`); splits of regular files hold none.
 */
export interface Plan { budget: number, taskBytes: number, chunkBytes: number, bufferBytes: number, heapMb: number }

export function plan (memory: number, workers: number, held: boolean): Plan {
  // 40% for the sort buffers; a task's input is held twice until it is done (the main thread's
  // copy for retries, the worker's queue), and at most one task per worker is in flight: 25%.
  // Without held input, the sort buffers get 60%: fewer spills (a 1 GB word count with 2
  // workers and 256 MB splits spilled 4 times instead of 24).
  const budget = Math.max(16 * 1024, Math.floor((memory * (held ? 0.4 : 0.6)) / workers))
  const taskBytes = Math.min(16 << 20, Math.max(64 * 1024, Math.floor(memory / (8 * workers))))
  // a chunk's records not yet mapped are live while the map runs (map-task.ts drops the ones
  // it took): scavenges copy and promote them. 64 KB against 256 KB chunks, 64 MB inputs: CPU
  // 0.89x on 11-byte lines (hotkey), 0.96x sorting lines, 0.97x word count; peaks 16 MB lower
  const chunkBytes = 64 << 10 // (a task is 64 KB at least)
  const bufferBytes = Math.min(256 * 1024, Math.max(16 * 1024, Math.floor(memory / (64 * workers))))
  // V8 lets an unlimited heap grow far past what is live before it collects (measured: 525 MB
  // RSS for --memory 256MB on a 1.3M-key sum, 300 MB with this limit, at the same speed).
  // At least 256 MB, so that one big value (a 70 MB string) still fits under a small --memory.
  const heapMb = Math.max(256, Math.ceil((2 * budget) / 2 ** 20) + 64)
  return { budget, taskBytes, chunkBytes, bufferBytes, heapMb }
}

/**
 * One merge pass over n > fanIn runs, as [from, to) ranges covering 0..n in order (a range of
 * one run is left as it is). When merging fewer than fanIn runs per group is enough to bring
 * the count down to fanIn, only that many are merged, in up to `workers` groups at the end (the
 * very last run is a task's last spill, often small); otherwise every group holds fanIn runs.
 */
export function mergeGroups (n: number, fanIn: number, workers: number): Array<[number, number]> {
  const excess = n - fanIn
  const groups: Array<[number, number]> = []
  if (excess >= fanIn) {
    for (let i = 0; i < n; i += fanIn) groups.push([i, Math.min(n, i + fanIn)])
    return groups
  }
  // each group of g runs takes g - 1 away; share `excess` between up to `workers` groups
  const count = Math.max(1, Math.min(workers, excess))
  const sizes = Array.from({ length: count }, (_, i) => Math.floor(excess / count) + (i < excess % count ? 1 : 0) + 1)
  let from = n - sizes.reduce((a, b) => a + b, 0)
  for (let i = 0; i < from; i++) groups.push([i, i + 1])
  for (const size of sizes) {
    groups.push([from, from + size])
    from += size
  }
  return groups
}

/**
 * Under groupBy, key ranges end where groups begin: each splitter cut back to its group's
 * prefix, which sorts before every key of the group and after every key of the groups before.
 * A block's index key cut short of its group's prefix (run-format.ts) tells no group: left out.
 */
export function groupSplitters (splitters: string[], groupBy: number | undefined): string[] {
  if (groupBy === undefined) return splitters
  return [...new Set(splitters.flatMap(s => { const end = groupEnd(s, groupBy); return end === -1 ? [] : [s.slice(0, end)] }))]
}

/**
 * Keys that cut the runs' blocks (their first keys, of weight `weights[i]` each, else one: the
 * engine gives blockWork) into about n key ranges of about equal weight. Weighed, not counted
 * by distinct first keys: a key whose values fill many blocks (a hot key) counted once, and its
 * range took it and a share of the other keys besides. A cut that falls among one key's blocks
 * moves to the nearer end of them; a key weighing more than a range gets a range of its own.
 */
export function chooseSplitters (keys: string[], n: number, weights?: number[]): string[] {
  if (n <= 1 || keys.length < 2) return []
  const order = keys.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0))
  const weight = (i: number): number => weights?.[i] ?? 1
  let total = 0
  for (const i of order) total += weight(i)
  const out: string[] = []
  let cut = 1
  let at = 0 // bytes of the keys before this one
  let endsBefore = false // a range ends after the key before this one
  for (let g = 0; g < order.length;) {
    const k = keys[order[g]!]!
    let w = 0
    for (; g < order.length && keys[order[g]!] === k; g++) w += weight(order[g]!)
    const end = at + w
    let startsHere = endsBefore
    endsBefore = false
    for (; cut < n && (cut * total) / n < end; cut++) {
      const t = (cut * total) / n
      if (t - at < end - t) startsHere = true
      else endsBefore = true
    }
    if (w * n > total) startsHere = endsBefore = true
    if (startsHere && at > 0 && k !== out[out.length - 1]) out.push(k)
    at = end
  }
  return out
}

// A reduce's work on a block, in bytes: its bytes, and this much more for each group starting
// in it (the merge orders a run's groups one at a time; a key's decode, reduce call and output
// line are shared among its groups, one a run it is in: 40 is the average). Measured on the hot key (1 GiB, 2 workers, 20 runs): its 85M values, 170 MB, took
// 1.1 s to reduce; the other 2.2M keys, 9.4M groups, 150 MB, 3.4 s. Weighed by bytes alone,
// the hot key's range held it alone, and the other range took three times as long.
const GROUP_BYTES = 40

/** How much reduce work a run's block is, for chooseSplitters. */
export function blockWork (b: Block): number {
  return b[2] + GROUP_BYTES * b[4]
}

// the bytes of keys a merge may hold however small its share (within a worker's 50 MB of the
// bound): 1 MB keys at --memory 1MB are merged 16 at a time, not 2, in fewer passes
const MERGE_KEYS = 16 << 20

/**
 * How many runs a merge reads at once: `fanIn`, fewer for long keys. A merge holds the current
 * key of each run it reads, and keys over 256 KB (RunInfo.sizes) would take up to fanIn times
 * the longest: as many runs as such keys fit in `share` bytes (a worker's share of --memory,
 * which the runs' read buffers take at fanIn) or MERGE_KEYS, at least 2.
 */
export function mergeFanIn (fanIn: number, share: number, runs: RunInfo[]): number {
  let key = 0
  for (const r of runs) key = Math.max(key, r.sizes.key)
  return key === 0 ? fanIn : Math.max(2, Math.min(fanIn, Math.floor(Math.max(share, MERGE_KEYS) / key)))
}

/**
 * A worker's heap limit, in MB, for records of up to `bytes`: room for a few copies of one
 * (its string, as UTF-16 if it is not Latin-1; what the job makes of it) beside the rest. A
 * worker that reaches its limit in one allocation (a string of that size) takes the whole
 * process down: Node stops a worker over its limit only between allocations.
 */
export function recordHeapMb (bytes: number): number {
  return 64 + 3 * Math.ceil(bytes / 2 ** 20)
}

/** The longest key or value in the runs, in bytes (0 when none is over 256 KB: see RunInfo.sizes). */
export function largestRecord (runs: RunInfo[]): number {
  let most = 0
  for (const r of runs) most = Math.max(most, r.sizes.key, r.sizes.value)
  return most
}
