// What every streaming command (mrstream map|combine|reduce, each one phase of a job) is given,
// and how it counts: its options, its counters, its bad records.
import { overBadRecordLimit, type MrstreamError } from '../errors.js'
import type { CounterName } from '../counters.js'
import type { Format } from '../input/records.js'
import type { Job } from '../job/job.js'

export type StreamingPhase = 'map' | 'combine' | 'reduce'

export interface StreamingOptions {
  phase: StreamingPhase
  /** The job's steps, and which one (1-based) this command runs. */
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
  /** How often, at most, a command making progress says so (a `reporter:status:` line, status.ts); default a minute. */
  statusEveryMs?: number
}

export type Counts = Partial<Record<CounterName, number>>

/** Counts a bad record, or throws once there are more than --max-bad-records (in this task). */
export function badRecord (o: StreamingOptions, counts: Counts, err: MrstreamError): void {
  counts.badRecords = (counts.badRecords ?? 0) + 1
  if (counts.badRecords > o.maxBadRecords) throw overBadRecordLimit(err, o.maxBadRecords)
  o.report?.(`mrstream: skipped bad record: ${err.message}\n`)
}
