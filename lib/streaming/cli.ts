// The streaming commands' command line: `mrstream map|combine|reduce --job FILE [options]`, or
// the same commands of a job's bundle, `node job.bundle.mjs map|combine|reduce [options]`, whose
// job is built in (lib/hadoop/bundle.ts).
import { MrstreamError } from '../errors.js'
import { loadSteps, resolveJobFile, type Job } from '../job/job.js'
import { redirectStdout } from '../job/guard.js'
import { flag, parseCount, parseOptions, settings, type OptionsTable } from '../options.js'
import type { Io } from '../report/error.js'
import type { StreamingPhase } from './command.js'
import { runStreamingCommand } from './streaming.js'

export const COMMAND_USAGE = `       mrstream map|combine|reduce --job FILE [--step N] [--format F] [--output-format F]
                                  [--max-bad-records N] [--max-line-bytes SIZE] [--tmp-dir DIR]
                                  [--status-every SECONDS] [-q] [--no-warnings] [--debug]
                                  (one Hadoop Streaming command, stdin to stdout; a reporter:status:
                                  line at most every SECONDS, default 60, while it makes progress)
`

/** The options of a Hadoop Streaming command (mrstream map|combine|reduce). */
export const commandOptions = {
  job: { type: 'string' },
  step: { type: 'string', default: '1' },
  format: { type: 'string' },
  'output-format': { type: 'string' },
  'max-bad-records': { type: 'string' },
  'max-line-bytes': { type: 'string' },
  'tmp-dir': { type: 'string' },
  'status-every': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  'no-warnings': { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionsTable

/** A job's steps, built into a bundle (`name`: the job file it was made from, for messages). */
export interface BundledJob { steps: Job[], name: string }

/**
 * One Hadoop Streaming command (streaming.ts, map-command.ts, group-command.ts): stdin to stdout, a process per task. Counters go
 * to stderr as Hadoop's `reporter:counter:` lines. A reader closing stdout early is success.
 */
export async function streamingCommand (phase: StreamingPhase, argv: string[], io: Io, usage: string, bundled?: BundledJob): Promise<number> {
  const { values: v, positionals } = parseOptions(argv, commandOptions)
  if (v.help === true) { io.stdout.write(usage); return 0 }
  if (bundled !== undefined && v.job !== undefined) throw new MrstreamError('MRS_ERR_USAGE', `--job: this bundle's job is built in (${bundled.name})`)
  if (bundled === undefined && v.job === undefined) throw new MrstreamError('MRS_ERR_USAGE', `mrstream ${phase} needs --job FILE (the job file Hadoop ships with -files)`)
  if (positionals.length > 0) throw new MrstreamError('MRS_ERR_USAGE', `mrstream ${phase} reads stdin only; unexpected ${JSON.stringify(positionals[0])}`)
  const set = settings({ format: v.format, outputFormat: v['output-format'], maxBadRecords: v['max-bad-records'], maxLineBytes: v['max-line-bytes'], tmpDir: v['tmp-dir'] }, flag)
  // this process's stdout is the protocol, written to fd 1 (stdio.ts): what the job writes
  // to process.stdout goes to stderr, prefixed, as its console output does (exec/process.ts)
  if (io.stdout === process.stdout) redirectStdout(false)
  const steps = bundled?.steps ?? await loadSteps({ file: resolveJobFile(v.job!) })
  const step = parseCount(v.step, '--step', 1)
  if (step > steps.length) throw new MrstreamError('MRS_ERR_USAGE', `--step ${step}: job ${bundled?.name ?? v.job} has ${steps.length} step(s)`)
  try {
    await runStreamingCommand({
      phase,
      steps,
      step,
      format: set.format,
      outputFormat: set.outputFormat,
      maxBadRecords: set.maxBadRecords,
      maxLineBytes: set.maxLineBytes,
      tmpDir: set.tmpDir,
      stdin: io.stdin,
      report: v.quiet === true ? undefined : (line: string) => { io.stderr.write(line) },
      warn: v['no-warnings'] === true ? undefined : (m: string) => { io.stderr.write(`mrstream: warning: ${m}\n`) },
      env: io.env ?? process.env,
      ...(v['status-every'] === undefined ? {} : { statusEveryMs: 1000 * parseCount(v['status-every'], '--status-every', 0) }),
    })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EPIPE') return 0
    throw e
  }
  return 0
}
