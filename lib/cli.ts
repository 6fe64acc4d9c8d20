// Arguments → options, usage, exit codes: main(argv, io) returns the exit code.
import { accessSync, constants, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MrstreamError, closest } from './errors.js'
import { packageUrl } from './paths.js'
import { Engine, type EngineResult } from './exec/engine.js'
import { builtinReducers, resolveJobFile, type JobSource } from './job/job.js'
import { typecheck } from './job/typecheck.js'
import { initJob } from './job/init.js'
import { flag, parseCount, parseOptions, settings, type OptionsTable } from './options.js'
import { formatCounters, formatSummary } from './report/summary.js'
import { ProgressDisplay } from './report/progress.js'
import { installSignalHandlers, outputCommitted } from './exec/signals.js'
import { runProcess } from './exec/process.js'
import { checkWritableDir } from './output/commit.js'
import { COMMAND_USAGE, commandOptions, streamingCommand } from './streaming/cli.js'
import { HADOOP_USAGE, hadoop, hadoopOptions } from './hadoop/command.js'
import { reportError, type Io } from './report/error.js'
import { parseInput } from './input/formats.js'
import { statsOf } from './api/job-run.js'

export type { Io }
export { commandOptions, hadoopOptions }

// the docs folder beside the package's dist/, where it was installed with them
const DOCS = ((): string => {
  const dir = fileURLToPath(new URL('docs/', packageUrl))
  return existsSync(dir) ? dir : 'the docs/ folder of the mrstream package'
})()

const USAGE = `Usage: mrstream [run] --job FILE [options] [INPUT ...]
       mrstream -m 'MAP_EXPR' [-r 'REDUCE_EXPR|NAME'] [--combine 'EXPR'] [options] [INPUT ...]
${COMMAND_USAGE}${HADOOP_USAGE}       mrstream init NAME.js|NAME.ts   (writes a commented job to start from)

Runs a MapReduce job over INPUT files (or stdin; '-' is stdin; .gz is decompressed).

A job is a module (.js .mjs .cjs .ts .mts .cts) exporting map and reduce:

  export function map (record, emit, ctx) {      // record: a line, an NDJSON value, a CSV row
    for (const word of record.split(' ')) emit(word, 1)
  }
  export function reduce (key, values, emit, ctx) {
    let n = 0
    for (const v of values) n += v
    return n                // written with its key; emit(key, value) writes more
  }
  export const combine = reduce   // optional: folds map output early (same shape in and out)

  values is one-pass: iterate it once (for...of); it has no .length and no [i].
  [...values] makes an array (holding all of a key's values in memory).
  ctx.file and ctx.line: where a map record came from; ctx.count(name, n): a counter.

Examples:
  mrstream --job wordcount.js books/*.txt > counts.tsv
  zcat access.log.gz | mrstream -m '(l, emit) => emit(l.split(" ")[8], 1)' -r count
  mrstream -m '(e, emit) => emit(e.user, e.ms)' -r max events.ndjson   # by extension
  mrstream --job sessions.ts logs/*.log -o out --reducers 4     # out/part-00000..3
  mrstream map --job wordcount.js < part.txt | LC_ALL=C sort | mrstream reduce --job wordcount.js

Options:
  --job FILE              the job module, exporting map and reduce (and combine, partition)
  -m, --map EXPR          inline map, e.g. '(line, emit) => emit(line.split(" ")[6], 1)'
  -r, --reduce EXPR|NAME  inline reduce, or one of: ${builtinReducers.join(', ')}
  --combine EXPR          inline combine, with -m and -r EXPR
  --typecheck             type-check a .ts job with the TypeScript installed where it is
                          (exit 2 on an error); without it, .ts jobs run unchecked
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
  --worker-heap-mb N      each worker's V8 heap limit (default: 2x its buffer share + 64, >= 256,
                          and room for 3 copies of the longest line, key or value)
  --fan-in N              runs merged at once (default 64, less under a low ulimit -n)
  -q, --quiet             nothing on stderr but errors and warnings of likely mistakes
  --no-warnings           not those warnings either (a reduce that wrote nothing, ...)
  --debug                 show the engine's stack traces
  -h, --help              this help
  -V, --version           the version

Exit codes: 0 success, 1 job failed, 2 usage error, 130/143/129 interrupted.
Documentation: jobs.md (writing jobs, recipes), cli.md (every option) and more in
  ${DOCS}
`

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
  const pkg = JSON.parse(readFileSync(new URL('package.json', packageUrl), 'utf8')) as { version: string }
  return pkg.version
}

/** The options of a run (exported for the test that --help names each of them). */
export const runOptions = {
  job: { type: 'string' },
  map: { type: 'string', short: 'm' },
  reduce: { type: 'string', short: 'r' },
  combine: { type: 'string' },
  typecheck: { type: 'boolean' },
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
  'no-warnings': { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies OptionsTable

export async function main (argv: string[], io: Io): Promise<number> {
  let debug = argv.includes('--debug')
  try {
    if (argv[0] === 'run') argv = argv.slice(1)
    if (argv[0] === 'map' || argv[0] === 'combine' || argv[0] === 'reduce') return await streamingCommand(argv[0], argv.slice(1), io, USAGE)
    if (argv[0] === 'hadoop') return await hadoop(argv.slice(1), io, USAGE)
    if (argv[0] === 'init') return init(argv.slice(1), io)
    const near = argv[0] === undefined || !/^[a-z]+$/.test(argv[0]) || existsSync(argv[0]) ? undefined : closest(argv[0], COMMANDS)
    if (near !== undefined) throw new MrstreamError('MRS_ERR_USAGE', `${argv[0]} is neither a command nor an input file: did you mean ${near}?`)
    const { values: v, positionals } = parseOptions(argv.map(stdinWithFormat), runOptions)
    debug = v.debug === true
    if (v.help) { io.stdout.write(USAGE); return 0 }
    if (v.version) { io.stdout.write(`mrstream ${version()}\n`); return 0 }
    return await run(v, positionals, io)
  } catch (e) {
    return reportError(e, io, debug, 'mrstream --help')
  }
}

type RunArgs = ReturnType<typeof parseOptions<typeof runOptions>>['values']

/** A run's steps: the job, settings, inputs, the engine's run, then --stats and what stderr is told. */
async function run (v: RunArgs, positionals: string[], io: Io): Promise<number> {
  const job = jobSource(v)
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
  const stderr = io.stderr as Stderr
  const display = await progressDisplay(v, stderr, inputs.some(i => i.name === '-'))
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
  if (v.stats !== undefined) writeStats(v.stats, result)
  if (!v.quiet && !result.stdoutClosed) {
    io.stderr.write(v.verbose === true ? formatCounters(result.steps, result.user) : formatSummary(result.steps, performance.now() - started))
    if (result.bad.length > 0) io.stderr.write(`skipped ${result.bad.length} bad record(s); first: ${result.bad[0]!.error.split('\n')[0]}\n`)
  }
  // (also with -q: a run that wrote nothing for a likely mistake is no noise; --no-warnings)
  if (v['no-warnings'] !== true) for (const w of result.warnings) io.stderr.write(`mrstream: warning: ${w}\n`)
  return 0
}

/** The job of --job FILE (type-checked with --typecheck), or of -m/-r/--combine. */
function jobSource (v: RunArgs): JobSource {
  let job: JobSource
  if (v.job !== undefined) {
    if (v.map !== undefined || v.reduce !== undefined) throw new MrstreamError('MRS_ERR_USAGE', 'give either --job or -m/-r, not both')
    job = { file: resolveJobFile(v.job) }
    if (v.typecheck === true) typecheck(job.file, v.job)
  } else if (v.map !== undefined) {
    if (v.reduce === undefined && v.combine !== undefined) throw new MrstreamError('MRS_ERR_USAGE', '--combine needs -r REDUCE (a map-only job, -m alone, has no combiner)')
    job = { map: v.map, ...(v.reduce === undefined ? {} : { reduce: v.reduce }), ...(v.combine === undefined ? {} : { combine: v.combine }) }
  } else {
    throw new MrstreamError('MRS_ERR_USAGE', 'no job: give --job FILE, or -m MAP (and -r REDUCE; without it, a map-only job) (see --help)')
  }
  if (v.typecheck === true && 'map' in job) throw new MrstreamError('MRS_ERR_USAGE', '--typecheck checks a --job FILE.ts, not -m/-r')
  return job
}

/** stderr, a terminal or not. */
type Stderr = NodeJS.WritableStream & { isTTY?: boolean, columns?: number }

/** The status line on stderr, or undefined without one. */
async function progressDisplay (v: RunArgs, stderr: Stderr, stdin: boolean): Promise<ProgressDisplay | undefined> {
  // like other CLIs: a status line only where a person watches (stderr a terminal), unless asked
  const show = v['no-progress'] !== true && !v.quiet && (v.progress === true || stderr.isTTY === true)
  return show ? await ProgressDisplay.open(stderr, { tty: stderr.isTTY === true, columns: () => stderr.columns, stdin }) : undefined
}

/** --stats FILE: the counters, steps, phases, user counters and bad records as JSON. */
function writeStats (path: string, result: EngineResult): void {
  const stats = JSON.stringify(statsOf(result), null, 2) + '\n'
  try {
    writeFileSync(path, stats)
  } catch (e) {
    throw new MrstreamError('MRS_ERR_IO', `--stats: cannot write ${path}: ${(e as Error).message}`, { phase: 'output', file: path }, e)
  }
}

const COMMANDS = ['run', 'map', 'combine', 'reduce', 'hadoop', 'init']

/** mrstream init NAME.js|NAME.ts: a commented job to start from. */
function init (argv: string[], io: Io): number {
  const { values: v, positionals } = parseOptions(argv, { help: { type: 'boolean', short: 'h' } })
  if (v.help === true) { io.stdout.write(USAGE); return 0 }
  if (positionals.length !== 1) throw new MrstreamError('MRS_ERR_USAGE', 'mrstream init takes one file name: NAME.js or NAME.ts')
  initJob(positionals[0]!)
  io.stderr.write(`mrstream: wrote ${positionals[0]}; run it with mrstream --job ${positionals[0]} INPUT...\n`)
  return 0
}

/** The command's process: the signal handlers, then main over the process's own streams. */
export async function command (): Promise<void> {
  installSignalHandlers()
  await runProcess(main)
}
