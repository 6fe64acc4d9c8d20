// `mrstream hadoop`: a job on a Hadoop cluster, from one command. The job, what it imports and
// mrstream's streaming commands are bundled into one file (bundle.ts) that Hadoop ships to the
// task nodes (-files), which need only node; then one Hadoop Streaming job runs per step of the
// job (a chain's steps over intermediate directories, the last one writing --output), or, with
// --dry-run, the commands are printed to be pasted where Hadoop is.
import { spawn } from 'node:child_process'
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs'
import { constants as osConstants } from 'node:os'
import { basename, delimiter, extname, isAbsolute, join, relative, resolve } from 'node:path'
import { MrstreamError } from '../errors.js'
import { isMapOnly, loadSteps, resolveJobFile, type Job } from '../job/job.js'
import { parseChoice, parseCount, parseOptions, parseSize, type OptionsTable } from '../options.js'
import { userFormats } from '../input/formats.js'
import type { Format } from '../input/records.js'
import type { Io } from '../report/error.js'
import { bundleJob } from './bundle.js'

export const HADOOP_USAGE = `       mrstream hadoop --job FILE --input PATH... --output DIR [--reducers N]
                       [-D, --define KEY=VALUE...] [--streaming-jar JAR] [--dry-run]
                       [--bundle FILE | --no-bundle] [--node CMD] [--format F] [--output-format F]
                       [--max-bad-records N] [--max-line-bytes SIZE] [-q] [--debug]
                       (the job on a Hadoop cluster: one streaming job a step; --dry-run
                       prints the commands, and still writes the bundle they ship)
`

/** The options of `mrstream hadoop`. */
export const hadoopOptions = {
  job: { type: 'string' },
  input: { type: 'string', multiple: true },
  output: { type: 'string' },
  reducers: { type: 'string' },
  define: { type: 'string', short: 'D', multiple: true },
  'streaming-jar': { type: 'string' },
  'dry-run': { type: 'boolean' },
  bundle: { type: 'string' },
  'no-bundle': { type: 'boolean' },
  node: { type: 'string', default: 'node' },
  format: { type: 'string' },
  'output-format': { type: 'string', default: 'tsv' },
  'max-bad-records': { type: 'string', default: '0' },
  'max-line-bytes': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionsTable

/** What a run's streaming jobs are made of. */
export interface HadoopJob {
  steps: Job[]
  /** The job file, as the streaming commands on task nodes name it with --no-bundle. */
  jobFile: string
  /** The file -files ships, as the commands name it: the bundle, or the job file (--no-bundle). */
  ship: string
  /** The bundle runs with this command (`node`); undefined: the installed mrstream runs the job file. */
  node: string | undefined
  inputs: string[]
  output: string
  reducers: number | undefined
  /** -D KEY=VALUE the user gave, after mrstream's own (a later one wins). */
  defines: string[]
  format: Format | undefined
  outputFormat: 'tsv' | 'ndjson'
  maxBadRecords: number
  maxLineBytes: string | undefined
}

/** A chain's step N output (N < the last), beside --output. */
export const stepOutput = (output: string, step: number): string => `${output}.step-${step}`

/**
 * The arguments of `mapred streaming` (or of `hadoop jar JAR`) for each step, in order, and
 * the intermediate directories of a chain, to remove once the last step succeeded.
 */
export function streamingJobs (h: HadoopJob): { jobs: string[][], intermediate: string[] } {
  const n = h.steps.length
  const command = (name: 'map' | 'combine' | 'reduce', step: number): string => {
    const words = h.node === undefined ? ['mrstream', name, '--job', basename(h.jobFile)] : [h.node, basename(h.ship), name]
    if (n > 1) words.push('--step', String(step))
    if (name === 'map' && step === 1 && h.format !== undefined) words.push('--format', h.format)
    // the last step's command that writes the output: its reduce, or a map-only step's map
    const writesOutput = step === n && (name === 'reduce' || (name === 'map' && isMapOnly(h.steps[n - 1]!)))
    if (writesOutput && h.outputFormat !== 'tsv') words.push('--output-format', h.outputFormat)
    if (h.maxBadRecords > 0) words.push('--max-bad-records', String(h.maxBadRecords))
    if (h.maxLineBytes !== undefined) words.push('--max-line-bytes', h.maxLineBytes)
    return words.join(' ')
  }
  // a csv or file input's map needs whole files: one split a file
  const wholeFiles = h.format === 'csv' || h.format === 'file' || (h.format === undefined && h.inputs.some(i => /\.csv(\.gz)?$/.test(i)))
  const jobName = `mrstream ${basename(h.jobFile)}`
  const jobs = h.steps.map((job, i) => {
    const step = i + 1
    const last = step === n
    const args: string[] = []
    const define = (kv: string): void => { args.push('-D', kv) }
    if (!h.defines.some(d => d.startsWith('mapreduce.job.name='))) define(`mapreduce.job.name=${jobName}${n > 1 ? ` (step ${step} of ${n})` : ''}`)
    if (step === 1 && wholeFiles) define(`mapreduce.input.fileinputformat.split.minsize=${2n ** 63n - 1n}`)
    // groupBy: map writes GROUP<TAB>ORDER<TAB>VALUE; Hadoop partitions on GROUP and sorts both
    // fields (bytes), so each reducer gets whole groups in order. A combiner (a PipeReducer to
    // Hadoop) writes the same lines, read with the reducer's settings: two key fields there too
    const grouped = job.groupBy !== undefined && !isMapOnly(job)
    const combined = grouped && job.combine !== undefined
    if (grouped) {
      define('stream.num.map.output.key.fields=2')
      define('mapreduce.partition.keypartitioner.options=-k1,1')
    }
    if (combined) define('stream.num.reduce.output.key.fields=2')
    // lines without a TAB after their key, TextOutputFormat would end with one (key, TAB, empty
    // value): ndjson lines, and a grouped combining step's reduce lines (one TAB at most: all key)
    if ((last && h.outputFormat === 'ndjson') || combined) define('mapreduce.output.textoutputformat.separator=')
    for (const d of h.defines) define(d)
    args.push('-files', h.ship)
    for (const input of step === 1 ? h.inputs : [stepOutput(h.output, step - 1)]) args.push('-input', input)
    args.push('-output', last ? h.output : stepOutput(h.output, step))
    args.push('-mapper', command('map', step))
    if (isMapOnly(job)) {
      args.push('-numReduceTasks', '0')
      return args
    }
    if (job.combine !== undefined) args.push('-combiner', command('combine', step))
    args.push('-reducer', command('reduce', step))
    if (grouped) args.push('-partitioner', 'org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner')
    if (h.reducers !== undefined) args.push('-numReduceTasks', String(h.reducers))
    return args
  })
  return { jobs, intermediate: Array.from({ length: n - 1 }, (_, i) => stepOutput(h.output, i + 1)) }
}

/** A word as a POSIX shell reads it back unchanged. */
export function shellQuote (word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`
}

/** A command for a terminal: one option and its value a line. */
function showCommand (command: string[]): string {
  const head: string[] = []
  let i = 0
  while (i < command.length && !command[i]!.startsWith('-')) head.push(command[i++]!)
  const lines = [head.map(shellQuote).join(' ')]
  for (; i < command.length; i += 2) lines.push(`  ${[command[i]!, command[i + 1]].filter(w => w !== undefined).map(w => shellQuote(w!)).join(' ')}`)
  return lines.join(' \\\n')
}

/** An executable on PATH (or in $HADOOP_HOME/bin), as the command should name it. */
function findExecutable (name: string, env: Record<string, string | undefined>): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    try {
      accessSync(join(dir, name), constants.X_OK)
      return name
    } catch {}
  }
  const home = env.HADOOP_HOME
  if (home === undefined) return undefined
  const path = join(home, 'bin', name)
  return existsSync(path) ? path : undefined
}

/** $HADOOP_HOME's streaming jar, where Hadoop's tarball puts it. */
function findStreamingJar (env: Record<string, string | undefined>): string | undefined {
  const home = env.HADOOP_HOME
  if (home === undefined) return undefined
  const dir = join(home, 'share', 'hadoop', 'tools', 'lib')
  try {
    return readdirSync(dir).filter(f => /^hadoop-streaming-.*\.jar$/.test(f) && !f.includes('test') && !f.includes('sources')).map(f => join(dir, f))[0]
  } catch {
    return undefined
  }
}

/**
 * How to submit a streaming job here: `hadoop jar JAR` (--streaming-jar, or $HADOOP_HOME's
 * jar) or `mapred streaming` (Hadoop 3). Undefined when nothing is found.
 */
function launcher (jar: string | undefined, env: Record<string, string | undefined>): string[] | undefined {
  const hadoop = findExecutable('hadoop', env)
  if (jar !== undefined) return [hadoop ?? 'hadoop', 'jar', jar]
  const mapred = findExecutable('mapred', env)
  if (mapred !== undefined) return [mapred, 'streaming']
  const found = findStreamingJar(env)
  if (found !== undefined && hadoop !== undefined) return [hadoop, 'jar', found]
  return undefined
}

/** A path as the printed commands give it: relative to the current directory when inside it. */
function shown (path: string): string {
  const r = relative(process.cwd(), path)
  return r !== '' && !r.startsWith('..') && !isAbsolute(r) ? r : path
}

export async function hadoop (argv: string[], io: Io, usage: string): Promise<number> {
  const { values: v, positionals } = parseOptions(argv, hadoopOptions)
  if (v.help === true) { io.stdout.write(usage); return 0 }
  const env = io.env ?? process.env
  const note = (m: string): void => { if (v.quiet !== true) io.stderr.write(`mrstream: ${m}\n`) }
  const args = checkedArgs(v, positionals)
  // the job loads here (exit 2 if not), as a local run would load it
  const jobFile = resolveJobFile(args.job)
  const steps = await loadSteps({ file: jobFile })
  if (args.reducers !== undefined && steps.every(isMapOnly)) {
    throw new MrstreamError('MRS_ERR_USAGE', `--reducers ${args.reducers}: the job is map-only (no reduce): it runs with -numReduceTasks 0, each map task writing its own part file`)
  }
  const submit = checkedLauncher(v, env)
  const ship = await shipped(v, jobFile, note)
  const { job: _, ...job } = args
  const { jobs, intermediate } = streamingJobs({ ...job, steps, jobFile, ship: shown(ship), node: v['no-bundle'] === true ? undefined : v.node })
  const base = submit ?? ['mapred', 'streaming']
  const hadoopFs = [findExecutable('hadoop', env) ?? 'hadoop', 'fs', '-rm', '-r', '-f']
  const cleanup = intermediate.length > 0 ? [[...hadoopFs, ...intermediate]] : []

  if (v['dry-run'] === true) {
    io.stdout.write([...jobs.map(args => showCommand([...base, ...args])), ...cleanup.map(c => c.map(shellQuote).join(' '))].join(' &&\n') + '\n')
    return 0
  }
  const n = steps.length
  for (const [i, args] of jobs.entries()) {
    if (n > 1) note(`step ${i + 1} of ${n}: ${base.join(' ')} ... -output ${args[args.indexOf('-output') + 1]}`)
    const code = await run([...base, ...args], io, env)
    if (code !== 0) {
      note(`${n > 1 ? `step ${i + 1} of ${n}: ` : ''}the Hadoop job failed (exit ${code}); its task logs are in the job's history (yarn logs -applicationId ...)`)
      return code
    }
  }
  for (const c of cleanup) {
    const code = await run(c, io, env)
    if (code !== 0) note(`the steps' intermediate output is left in ${c.slice(hadoopFs.length).join(' ')} (hadoop fs -rm exited ${code})`)
  }
  return 0
}

type HadoopValues = ReturnType<typeof parseOptions<typeof hadoopOptions>>['values']

/** The command's arguments, checked (the job is loaded after), as streamingJobs takes them. */
function checkedArgs (v: HadoopValues, positionals: string[]): Omit<HadoopJob, 'steps' | 'jobFile' | 'ship' | 'node'> & { job: string } {
  if (positionals.length > 0) throw new MrstreamError('MRS_ERR_USAGE', `mrstream hadoop: unexpected ${JSON.stringify(positionals[0])}; inputs are given with --input PATH`)
  if (v.job === undefined) throw new MrstreamError('MRS_ERR_USAGE', 'mrstream hadoop needs --job FILE')
  const inputs = v.input ?? []
  if (inputs.length === 0) throw new MrstreamError('MRS_ERR_USAGE', 'mrstream hadoop needs --input PATH (a file or directory Hadoop reads; more than one --input for several)')
  if (v.output === undefined || v.output === '') throw new MrstreamError('MRS_ERR_USAGE', 'mrstream hadoop needs --output DIR (a directory Hadoop makes; it must not exist)')
  const output = v.output.replace(/(.)\/+$/, '$1')
  const reducers = v.reducers === undefined ? undefined : parseCount(v.reducers, '--reducers', 1)
  const defines = v.define ?? []
  for (const d of defines) if (!/^[^=\s]+=/.test(d)) throw new MrstreamError('MRS_ERR_USAGE', `-D ${d}: give KEY=VALUE`)
  const format = v.format === undefined ? undefined : parseChoice(v.format, '--format', userFormats)
  const outputFormat = parseChoice(v['output-format']!, '--output-format', ['tsv', 'ndjson'] as const)
  const maxBadRecords = parseCount(v['max-bad-records']!, '--max-bad-records', 0)
  if (v['max-line-bytes'] !== undefined) parseSize(v['max-line-bytes'], '--max-line-bytes')
  if (v['no-bundle'] === true && v.bundle !== undefined) throw new MrstreamError('MRS_ERR_USAGE', 'give --bundle FILE or --no-bundle, not both')
  return { job: v.job, inputs, output, reducers, defines, format, outputFormat, maxBadRecords, maxLineBytes: v['max-line-bytes'] }
}

/** How jobs are submitted here (see launcher): undefined only for --dry-run, which needs none. */
function checkedLauncher (v: HadoopValues, env: Record<string, string | undefined>): string[] | undefined {
  const submit = launcher(v['streaming-jar'], env)
  if (v['streaming-jar'] !== undefined && v['dry-run'] !== true && !existsSync(v['streaming-jar'])) {
    throw new MrstreamError('MRS_ERR_USAGE', `--streaming-jar ${v['streaming-jar']}: no such file`)
  }
  if (submit === undefined && v['dry-run'] !== true) {
    throw new MrstreamError('MRS_ERR_USAGE', 'no Hadoop here: neither `mapred` on PATH or in $HADOOP_HOME/bin, nor $HADOOP_HOME/share/hadoop/tools/lib/hadoop-streaming-*.jar; give --streaming-jar JAR, or --dry-run to print the commands')
  }
  return submit
}

/** What task nodes run: the bundle (written now) with node, or the job file with an installed mrstream. */
async function shipped (v: HadoopValues, jobFile: string, note: (m: string) => void): Promise<string> {
  if (v['no-bundle'] === true) return jobFile
  const ship = resolve(v.bundle ?? `${basename(jobFile, extname(jobFile))}.bundle.mjs`)
  if (existsSync(ship) && statSync(ship).isDirectory()) throw new MrstreamError('MRS_ERR_USAGE', `--bundle ${ship}: is a directory`)
  const built = await bundleJob(jobFile, ship)
  for (const w of built.warnings) note(`note: bundling ${v.job}: ${w}`)
  note(`bundled ${v.job} with mrstream into ${shown(ship)} (${Math.ceil(built.bytes / 1024)} KB): task nodes need only ${v.node}`)
  return ship
}

/** Runs a command, its output passed on to ours; resolves with its exit code (128 + signal if killed). */
function run (command: string[], io: Io, env: Record<string, string | undefined>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env })
    child.stdout.on('data', (b: Buffer) => io.stdout.write(b))
    child.stderr.on('data', (b: Buffer) => io.stderr.write(b))
    child.on('error', e => { reject(new MrstreamError('MRS_ERR_USAGE', `cannot run ${command[0]}: ${e.message}`, {}, e)) })
    child.on('close', (code, signal) => { resolve(code ?? 128 + (signal === null ? 0 : osConstants.signals[signal])) })
  })
}
