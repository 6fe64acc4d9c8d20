// Arguments → options, usage, exit codes: main(argv, io) returns the exit code.
import { parseArgs } from 'node:util'
import { accessSync, constants, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { MrstreamError, codes, describeThrown } from './errors.js'
import { Engine } from './exec/engine.js'
import { builtinReducers, loadSteps, resolveJobFile, type JobSource } from './job/job.js'
import { parseCount, settings, type JobOptions } from './options.js'
import { formatCounters, formatSummary } from './report/summary.js'
import { ProgressDisplay } from './report/progress.js'
import { removeAllTmpDirs } from './exec/tmp.js'
import { outputCommitted } from './exec/signals.js'
import { checkWritableDir } from './output/commit.js'
import { runStreamingPhase, type StreamingPhase } from './streaming/streaming.js'
import { parseInput } from './input/formats.js'

export interface Io {
  stdin: NodeJS.ReadableStream
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  env?: Record<string, string | undefined>
}

const USAGE = `Usage: mrstream [run] --job FILE [options] [INPUT ...]
       mrstream -m 'MAP_EXPR' -r 'REDUCE_EXPR|count|sum|min|max|first|last|list|uniq' [options] [INPUT ...]
       mrstream map|combine|reduce --job FILE [--step N] [--format F] [--output-format F]
                                  [--max-bad-records N] [--max-line-bytes SIZE] [--tmp-dir DIR]
                                  [-q] [--debug]   (one Hadoop Streaming phase, stdin to stdout)

Runs a MapReduce job over INPUT files (or stdin; '-' is stdin; .gz is decompressed).

Options:
  --job FILE              the job module (.js .mjs .cjs .ts .mts .cts) exporting map and reduce
  -m, --map EXPR          inline map, e.g. '(line, emit) => emit(line.split(" ")[6], 1)'
  -r, --reduce EXPR|NAME  inline reduce, or one of: ${builtinReducers.join(', ')}
  --format FORMAT         every input's format: lines, ndjson, csv, file (default: by
                          extension, .csv .ndjson .jsonl [.gz], else lines; FILE:FORMAT
                          gives one input its own)
  -o, --output PATH       output file (default: stdout); with --reducers, a directory
  --reducers N            write N part files (hash-partitioned by key) into -o DIR
  --output-format FORMAT  tsv (default) or ndjson
  --memory SIZE           budget for buffered pairs, e.g. 64MB, 2GiB (default 256MB)
  --workers N             worker threads (default: number of CPUs)
  --tmp-dir DIR           where the private temp directory goes (default: OS temp dir)
  --max-bad-records N     skip up to N records whose map/reduce throws or that fail to parse
  --max-line-bytes SIZE   longest line accepted (default 64MB)
  --task-timeout SECONDS  retry a task silent this long (default 600; 0: never)
  --stats FILE            write the counters (and skipped records) as JSON
  --progress, --no-progress  a status line on stderr: percent, ETA, rate (default: when
                          stderr is a terminal; elsewhere --progress logs a line every 5 s)
  -v, --verbose           every counter at the end (a column a step), not one summary line
  --worker-heap-mb N      each worker's V8 heap limit (default: 2x its buffer share + 64, >= 256)
  --fan-in N              runs merged at once (default 64, less under a low ulimit -n)
  -q, --quiet             nothing on stderr but errors
  --debug                 show the engine's stack traces
  -h, --help              this help
  -V, --version           the version

Exit codes: 0 success, 1 job failed, 2 usage error, 130/143/129 interrupted.
`

/** An option's name on the command line: tmpDir is --tmp-dir. */
function flag (name: keyof JobOptions): string {
  return '--' + name.replace(/[A-Z]/g, c => '-' + c.toLowerCase())
}

// `-:csv` (stdin in a format of its own) is an input, not a cluster of short options: marked
// before parseArgs sees it, unmarked after
const STDIN_MARK = '\u0000'
function stdinWithFormat (arg: string): string {
  return /^-:[a-z]+$/.test(arg) ? STDIN_MARK + arg : arg
}

/** --stats FILE is written after the output: a path that cannot take it is refused before the job runs. */
function checkStatsPath (path: string): void {
  const st = statSync(path, { throwIfNoEntry: false })
  if (st?.isDirectory() === true) throw new MrstreamError('MRS_ERR_USAGE', `--stats ${path}: is a directory`)
  if (st === undefined) return checkWritableDir(dirname(resolve(path)), `--stats ${path}`)
  try { accessSync(path, constants.W_OK) } catch { throw new MrstreamError('MRS_ERR_USAGE', `--stats ${path}: is not writable`) }
}

function version (): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

export async function main (argv: string[], io: Io): Promise<number> {
  let debug = argv.includes('--debug')
  try {
    if (argv[0] === 'run') argv = argv.slice(1)
    if (argv[0] === 'map' || argv[0] === 'combine' || argv[0] === 'reduce') return await streamingPhase(argv[0], argv.slice(1), io)
    const { values: v, positionals } = parseArgs({
      args: argv.map(stdinWithFormat),
      allowPositionals: true,
      options: {
        job: { type: 'string' },
        map: { type: 'string', short: 'm' },
        reduce: { type: 'string', short: 'r' },
        combine: { type: 'string' },
        format: { type: 'string' },
        output: { type: 'string', short: 'o' },
        reducers: { type: 'string' },
        'output-format': { type: 'string' },
        memory: { type: 'string' },
        workers: { type: 'string' },
        'tmp-dir': { type: 'string' },
        'max-bad-records': { type: 'string' },
        'max-line-bytes': { type: 'string' },
        'task-timeout': { type: 'string' },
        'fan-in': { type: 'string' },
        'worker-heap-mb': { type: 'string' },
        stats: { type: 'string' },
        progress: { type: 'boolean' },
        'no-progress': { type: 'boolean' },
        quiet: { type: 'boolean', short: 'q' },
        verbose: { type: 'boolean', short: 'v' },
        debug: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    })
    debug = v.debug === true
    if (v.help) { io.stdout.write(USAGE); return 0 }
    if (v.version) { io.stdout.write(`mrstream ${version()}\n`); return 0 }
    let job: JobSource
    if (v.job !== undefined) {
      if (v.map !== undefined || v.reduce !== undefined) throw new MrstreamError('MRS_ERR_USAGE', 'give either --job or -m/-r, not both')
      job = { file: resolveJobFile(v.job) }
    } else if (v.map !== undefined && v.reduce !== undefined) {
      job = v.combine === undefined ? { map: v.map, reduce: v.reduce } : { map: v.map, reduce: v.reduce, combine: v.combine }
    } else {
      throw new MrstreamError('MRS_ERR_USAGE', 'no job: give --job FILE, or both -m MAP and -r REDUCE (see --help)')
    }
    // like other CLIs: a status line only where a person watches (stderr a terminal), unless asked
    const showProgress = v['no-progress'] !== true && !v.quiet && (v.progress === true || (io.stderr as { isTTY?: boolean }).isTTY === true)
    const set = settings({
      memory: v.memory,
      workers: v.workers,
      tmpDir: v['tmp-dir'],
      format: v.format,
      outputFormat: v['output-format'],
      maxBadRecords: v['max-bad-records'],
      maxLineBytes: v['max-line-bytes'],
      taskTimeout: v['task-timeout'],
      fanIn: v['fan-in'],
      workerHeapMb: v['worker-heap-mb'],
    }, flag)
    if (v.stats !== undefined) checkStatsPath(v.stats)
    const inputs = (positionals.length === 0 ? ['-'] : positionals).map(a => parseInput(a.replace(STDIN_MARK, '')))
    const stderr = io.stderr as NodeJS.WritableStream & { isTTY?: boolean, columns?: number }
    const display = showProgress
      ? new ProgressDisplay(io.stderr, { tty: stderr.isTTY === true, columns: () => stderr.columns, stdin: inputs.some(i => i.name === '-') })
      : undefined
    const started = performance.now()
    const engine = new Engine({
      ...set,
      job,
      inputs: inputs.map(i => i.name),
      inputFormats: inputs.map(i => i.format),
      output: v.output,
      reducers: v.reducers === undefined ? undefined : parseCount(v.reducers, '--reducers', 1),
      stdin: io.stdin,
      stdout: io.stdout,
      warn: v.quiet
        ? undefined
        : (m: string) => {
            display?.clear()
            io.stderr.write(`mrstream: ${m}\n`)
          },
      committed: outputCommitted,
      ...(display === undefined ? {} : { progress: p => display.update(p), progressMs: stderr.isTTY === true ? 250 : 1000 }),
    })
    let result
    try {
      result = await engine.run()
    } finally {
      display?.clear()
    }
    if (v.stats !== undefined) {
      const stats = JSON.stringify({ counters: result.counters, steps: result.steps, phases: result.phases, user: result.user.toJSON(), badRecords: result.bad }, null, 2) + '\n'
      try {
        writeFileSync(v.stats, stats)
      } catch (e) {
        throw new MrstreamError('MRS_ERR_IO', `--stats: cannot write ${v.stats}: ${(e as Error).message}`, { phase: 'output', file: v.stats }, e)
      }
    }
    if (!v.quiet && !result.stdoutClosed) {
      io.stderr.write(v.verbose === true ? formatCounters(result.steps, result.user) : formatSummary(result.steps, performance.now() - started))
      if (result.bad.length > 0) io.stderr.write(`skipped ${result.bad.length} bad record(s); first: ${result.bad[0]!.error.split('\n')[0]}\n`)
    }
    return 0
  } catch (e) {
    return report(e, io, debug)
  }
}

/**
 * One Hadoop Streaming phase (streaming.ts): stdin to stdout, a process per task. Counters go
 * to stderr as Hadoop's `reporter:counter:` lines. A reader closing stdout early is success.
 */
async function streamingPhase (phase: StreamingPhase, argv: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      job: { type: 'string' },
      step: { type: 'string', default: '1' },
      format: { type: 'string' },
      'output-format': { type: 'string' },
      'max-bad-records': { type: 'string' },
      'max-line-bytes': { type: 'string' },
      'tmp-dir': { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      debug: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (v.help) { io.stdout.write(USAGE); return 0 }
  if (v.job === undefined) throw new MrstreamError('MRS_ERR_USAGE', `mrstream ${phase} needs --job FILE (the job file Hadoop ships with -files)`)
  if (positionals.length > 0) throw new MrstreamError('MRS_ERR_USAGE', `mrstream ${phase} reads stdin only; unexpected ${JSON.stringify(positionals[0])}`)
  const set = settings({ format: v.format, outputFormat: v['output-format'], maxBadRecords: v['max-bad-records'], maxLineBytes: v['max-line-bytes'], tmpDir: v['tmp-dir'] }, flag)
  const steps = await loadSteps({ file: resolveJobFile(v.job) })
  const step = parseCount(v.step!, '--step', 1)
  if (step > steps.length) throw new MrstreamError('MRS_ERR_USAGE', `--step ${step}: job ${v.job} has ${steps.length} step(s)`)
  try {
    await runStreamingPhase({
      phase,
      steps,
      step,
      format: set.format,
      outputFormat: set.outputFormat,
      maxBadRecords: set.maxBadRecords,
      maxLineBytes: set.maxLineBytes,
      tmpDir: set.tmpDir,
      stdin: io.stdin,
      report: v.quiet ? undefined : (line: string) => { io.stderr.write(line) },
      env: io.env ?? process.env,
    })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EPIPE') return 0
    throw e
  }
  return 0
}

function report (e: unknown, io: Io, debug: boolean): number {
  removeAllTmpDirs()
  if (e instanceof MrstreamError) {
    io.stderr.write(`mrstream: ${e.message}\n`)
    if (e.code === 'MRS_ERR_USAGE') io.stderr.write('Try mrstream --help.\n')
    if (debug) io.stderr.write(`${e.stack}\n`)
    return codes[e.code].exit
  }
  const code = (e as { code?: string }).code
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    io.stderr.write(`mrstream: ${(e as Error).message}\nTry mrstream --help.\n`)
    return 2
  }
  io.stderr.write(`mrstream: internal error: ${describeThrown(e)}\n`)
  if (debug && e instanceof Error) io.stderr.write(`${e.stack}\n`)
  return 1
}
