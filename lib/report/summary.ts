// What a run says on stderr when it ends: one line by default; every counter, step by step,
// with --verbose.
import { builtinCounters, type CounterName, type Counters, type UserCounters } from '../counters.js'
import { formatBytes, formatCount, formatDuration } from './units.js'

/**
 * 'mrstream: done in 42s: 2.80 GB read (68.3 MB/s), 12.3M records in, 11791 out, 11791 keys,
 * 3 spills'. A chain's records in are its first step's, its records out and keys its last's.
 */
export function formatSummary (steps: Counters[], elapsedMs: number): string {
  const first = steps[0]!
  const last = steps[steps.length - 1]!
  const secs = elapsedMs / 1000
  const parts = [
    `${formatBytes(first.bytes)} read${secs > 0 ? ` (${formatBytes(first.bytes / secs)}/s)` : ''}`,
    `${formatCount(first.records)} records in`,
    `${formatCount(last.written)} out`,
    `${formatCount(last.keys)} keys`,
  ]
  const spills = steps.reduce((n, c) => n + c.spills, 0)
  const retries = steps.reduce((n, c) => n + c.retries, 0)
  const bad = steps.reduce((n, c) => n + c.badRecords, 0)
  if (spills > 0) parts.push(`${spills} spill${spills === 1 ? '' : 's'}`)
  if (retries > 0) parts.push(`${retries} task retr${retries === 1 ? 'y' : 'ies'}`)
  if (bad > 0) parts.push(`${bad} bad record${bad === 1 ? '' : 's'} skipped`)
  if (steps.length > 1) parts.push(`${steps.length} steps`)
  return `mrstream: done in ${formatDuration(secs)}: ${parts.join(', ')}\n`
}

/** Every built-in counter (a column a step when there are several), then the job's own. */
export function formatCounters (steps: Counters[], user: UserCounters): string {
  const names = Object.keys(builtinCounters) as CounterName[]
  const rows: string[][] = names.map(k => [builtinCounters[k], ...steps.map(c => String(c[k]))])
  for (const [k, n] of Object.entries(user.toJSON())) rows.push([`job: ${k}`, String(n), ...steps.slice(1).map(() => '')])
  const header = steps.length > 1 ? [['', ...steps.map((_, i) => `step ${i + 1}`)]] : []
  const all = [...header, ...rows]
  const widths = all[0]!.map((_, col) => Math.max(...all.map(r => r[col]!.length)))
  const line = (r: string[]): string => '  ' + r.map((cell, col) => (col === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[col]!))).join('  ')
  return 'mrstream counters:\n' + all.map(line).join('\n') + '\n'
}
