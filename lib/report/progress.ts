// The progress display on stderr. On a terminal: one line, redrawn in place and cut to the
// terminal's width (log-update does the redrawing). Elsewhere, when --progress asks for it: a
// plain line every few seconds, for logs. What a line says comes from formatProgress, which
// drops the least useful parts first when the width is short.
import type { createLogUpdate } from 'log-update'
import type { Progress } from '../exec/engine.js'
import { formatBytes, formatCount, formatDuration } from './units.js'

type Draw = ReturnType<typeof createLogUpdate>

/** Rates over the last WINDOW_MS: a long run's rate follows what it does now, not its start. */
const WINDOW_MS = 5000
/** Without a terminal, a line every LOG_EVERY_MS. */
const LOG_EVERY_MS = 5000
/** Nothing read for this long from stdin: say that mrstream is waiting for it. */
const WAITING_HINT_MS = 2000

export interface Rates { bytesPerSec: number | undefined, recordsPerSec: number | undefined }

/** Rates from samples of a growing count; a step's counts restart at 0, and so do its rates. */
export class RateMeter {
  private samples: Array<{ at: number, bytes: number, records: number, key: string }> = []

  add (p: Progress): Rates {
    const key = `${p.step}`
    const now = p.elapsedMs
    this.samples = this.samples.filter(s => s.key === key && now - s.at <= WINDOW_MS)
    this.samples.push({ at: now, bytes: p.bytesRead, records: p.records, key })
    const first = this.samples[0]!
    const secs = (now - first.at) / 1000
    if (secs < 0.5) return { bytesPerSec: undefined, recordsPerSec: undefined }
    return { bytesPerSec: (p.bytesRead - first.bytes) / secs, recordsPerSec: (p.records - first.records) / secs }
  }
}

/** Parts of the line, most useful first: where the width is short, the last ones go. */
export function formatProgress (p: Progress, rates: Rates, width: number, stdin = false): string {
  const head = `mrstream: ${p.steps > 1 ? `step ${p.step}/${p.steps} ` : ''}${p.phase}${p.phase === 'merge' ? ` pass ${p.pass}` : ''}`
  const parts: string[] = []
  const bar = (fraction: number): string => {
    const cells = 20
    const full = Math.round(Math.min(1, Math.max(0, fraction)) * cells)
    return `[${'#'.repeat(full)}${'.'.repeat(cells - full)}]`
  }
  let barPart: string | undefined
  if (p.phase === 'map') {
    if (p.bytesTotal !== undefined && p.bytesTotal > 0) {
      const fraction = Math.min(1, p.bytesRead / p.bytesTotal)
      parts.push(`${Math.floor(fraction * 100)}%`)
      parts.push(`${formatBytes(p.bytesRead)} of ${formatBytes(p.bytesTotal)}`)
      if (rates.bytesPerSec !== undefined && rates.bytesPerSec > 0) {
        parts.push(`ETA ${formatDuration((p.bytesTotal - p.bytesRead) / rates.bytesPerSec)}`)
      }
      barPart = bar(fraction)
    } else if (p.bytesRead === 0 && p.elapsedMs >= WAITING_HINT_MS && stdin) {
      parts.push('waiting for input on stdin (pipe data in, or name input files)')
    } else {
      parts.push(`${formatBytes(p.bytesRead)} read`)
    }
    if (rates.bytesPerSec !== undefined && rates.bytesPerSec > 0) parts.push(`${formatBytes(rates.bytesPerSec)}/s`)
    if (rates.recordsPerSec !== undefined && rates.recordsPerSec > 0) parts.push(`${formatCount(rates.recordsPerSec)} records/s`)
  } else if (p.total > 0) {
    const fraction = p.done / p.total
    parts.push(`${Math.floor(fraction * 100)}%`)
    parts.push(`${p.done}/${p.total} ${p.phase === 'output' ? 'files' : 'tasks'}`)
    barPart = bar(fraction)
  }
  if (p.spills > 0) parts.push(`${p.spills} spill${p.spills === 1 ? '' : 's'}`)
  if (p.retries > 0) parts.push(`${p.retries} retr${p.retries === 1 ? 'y' : 'ies'}`)
  parts.push(formatDuration(p.elapsedMs / 1000))
  return fit(head, barPart, parts, width)
}

/** head, then as many parts as fit (the bar only if all else fits), cut to `width` at worst. */
function fit (head: string, bar: string | undefined, parts: string[], width: number): string {
  const join = (ps: string[]): string => [head, ...ps].join('  ')
  let kept = parts.slice()
  if (bar !== undefined && join([bar, ...kept]).length <= width) return join([bar, ...kept])
  while (kept.length > 1 && join(kept).length > width) kept = kept.slice(0, -1)
  const line = join(kept)
  return line.length <= width ? line : line.slice(0, Math.max(0, width - 1)) + '…'
}

export interface DisplayOptions {
  /** stderr is a terminal: redraw one line in place */
  tty: boolean
  /** the terminal's width now (it may change while the job runs) */
  columns: () => number | undefined
  /** the job reads stdin */
  stdin: boolean
}

/** Shows Progress snapshots on `stream`; `clear()` before anything else is written there. */
export class ProgressDisplay {
  private readonly meter = new RateMeter()
  private lastLog = -Infinity

  /**
   * A display on `stream`. log-update is loaded only for a terminal: loading it (string-width's
   * tables) costs about 80 ms of CPU, a large part of the start of a run that shows no such line.
   */
  static async open (stream: NodeJS.WritableStream, opts: DisplayOptions): Promise<ProgressDisplay> {
    if (!opts.tty) return new ProgressDisplay(stream, opts, undefined)
    const { createLogUpdate } = await import('log-update')
    return new ProgressDisplay(stream, opts, createLogUpdate(stream as NodeJS.WriteStream, { showCursor: true }))
  }

  private constructor (private readonly stream: NodeJS.WritableStream, private readonly opts: DisplayOptions, private readonly draw: Draw | undefined) {}

  update (p: Progress): void {
    const rates = this.meter.add(p)
    if (this.draw !== undefined) {
      // one column short of the width: a line that fills it exactly wraps on some terminals
      this.draw(formatProgress(p, rates, Math.max(20, (this.opts.columns() ?? 80) - 1), this.opts.stdin))
    } else if (p.elapsedMs - this.lastLog >= LOG_EVERY_MS) {
      this.lastLog = p.elapsedMs
      this.stream.write(formatProgress(p, rates, 200, this.opts.stdin) + '\n')
    }
  }

  clear (): void {
    this.draw?.clear()
  }
}
