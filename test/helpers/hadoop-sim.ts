// A Hadoop Streaming simulator, for the tests: a job given as the arguments of `mapred
// streaming` (what `mrstream hadoop --dry-run` prints) runs over local files as Hadoop runs it,
// its tasks as processes. Each part follows Hadoop's own code (org.apache.hadoop.*):
// - splits: FileInputFormat.getSplits (old API): a goal of total / mapreduce.job.maps bytes, at
//   most a block, at least split.minsize, a last split up to 1.1x; gzip whole; an empty file
//   one empty split; map tasks numbered biggest split first (JobSubmitter, a stable sort);
// - records: LineRecordReader over a split: a split after the first skips its first line, every
//   split reads the line crossing its end, lines end at LF, CR or CRLF, a BOM is dropped;
// - the mapper gets each line and '\n' (TextInputWriter; TextInputFormat's key is ignored);
//   task output is read as lines (LineReader: LF, CR, CRLF) split at the first TAB
//   (TextOutputReader: no TAB, the whole line is the key and the value is empty); a combiner's
//   output with the reducer's settings (PipeCombiner is a PipeReducer);
// - the partitioner: HashPartitioner, (Text.hashCode() & MAX_INT) % reducers, where
//   Text.hashCode() = WritableComparator.hashBytes: 31 * h + (signed) byte, from 1; or
//   KeyFieldBasedPartitioner (-partitioner ...), the same over the key fields its options
//   (-kA[,B]) name, from 0; a key of several fields (stream.num.map.output.key.fields) is cut
//   as TextOutputReader cuts it, at the Nth separator;
// - the sort: a byte sort of the key (Text's comparator) per partition;
// - the combiner: one process per spill and partition with records (sortAndSpill,
//   OldCombinerRunner), and again over the merged spills when there are 3 or more
//   (mapreduce.map.combine.minspills);
// - the reducer: one process per partition, even with no input (its output then dropped);
// - the output: TextOutputFormat, key, separator (mapreduce.output.textoutputformat.separator,
//   TAB), value, '\n' (an empty value still gets the separator); part-m-NNNNN for a map-only
//   job (-numReduceTasks 0), part-r-NNNNN otherwise, and _SUCCESS;
// - counters: `reporter:counter:GROUP,NAME,AMOUNT` lines on a task's stderr, parsed as
//   PipeMapRed's MRErrorThread does (trim, split at commas, exactly 3 columns, a long), summed
//   over tasks; `reporter:status:` lines kept as the task's status; a reducer with no input
//   reports to no one (Reporter.NULL);
// - a task's environment: the job's configuration as variables (PipeMapRed: every character
//   that is not a letter or digit becomes _), map_input_file / start / length, -cmdenv;
//   its working directory holds only the -files, linked by name; the command is split as
//   PipeMapRed.splitArgs splits it and found on PATH, no shell.
// What Hadoop leaves unspecified, the order of equal keys' values, is an option: `input` (the
// order a local run gives: map tasks in input order, a stable sort) or `any` (a seeded shuffle
// of equal keys at every sort, as the map side's QuickSort and the reduce side's merge allow).
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, delimiter, isAbsolute, join, resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { prng } from './gen.js'

export interface SimOptions {
  /** The submitting shell's directory: relative -files, -input and -output are resolved from it. */
  cwd: string
  /** The inputs' block size (dfs.blocksize when they were written): a split is at most one block. Default 128 MB. */
  blockSize?: number
  /** Map output records a spill holds (what mapreduce.task.io.sort.mb bounds in bytes). Default: no limit, one spill. */
  spillRecords?: number
  valueOrder?: 'input' | 'any'
  seed?: number
  /** The tasks' environment before the job's own (PATH must find the commands). */
  env: Record<string, string | undefined>
  /** Tasks run at once. */
  concurrency?: number
}

export interface SimResult {
  output: string
  /** Part files in name order. */
  parts: Array<{ name: string, bytes: Buffer }>
  /**
   * The part files in the order of their input: a map-only job's part-m files by their split's
   * place in the input (its map task numbers go biggest split first); else as `parts`.
   */
  inInputOrder: Array<{ name: string, bytes: Buffer }>
  /** group -> name -> amount, summed over tasks. */
  counters: Record<string, Record<string, number>>
  /** Every task's `reporter:status:` messages, in the order each task wrote them. */
  statuses: string[]
  /** Task processes started (maps, combiners, reducers). */
  processes: number
  /** What tasks wrote on stderr that is not a reporter line. */
  logs: string
}

export class SimError extends Error {}

// ---- Hadoop's arithmetic and byte handling ---------------------------------------------------

/** Text.hashCode(): WritableComparator.hashBytes, Java int arithmetic over signed bytes. */
export function textHash (bytes: Uint8Array): number {
  let h = 1
  for (let i = 0; i < bytes.length; i++) h = (Math.imul(31, h) + ((bytes[i]! << 24) >> 24)) | 0
  return h
}

/** HashPartitioner.getPartition. */
export function hashPartition (key: Uint8Array, reducers: number): number {
  return (textHash(key) & 0x7fffffff) % reducers
}

/**
 * KeyFieldBasedPartitioner.getPartition for whole-field specs (`-k2`, `-k1,1 -k3,3`): 31 * h
 * + (signed) byte over each spec's bytes, from the start of field A to the end of field B (or
 * of the key), h from 0; an empty key goes to 0.
 */
export function keyFieldPartition (key: Uint8Array, specs: Array<[number, number]>, sep: Uint8Array, reducers: number): number {
  if (key.length === 0) return 0
  const starts = [0]
  for (let i = indexOf(key, sep, 0); i !== -1; i = indexOf(key, sep, i + sep.length)) starts.push(i + sep.length)
  const fieldEnd = (f: number): number => f < starts.length ? starts[f]! - sep.length - 1 : key.length - 1
  let h = 0
  for (const [a, b] of specs) {
    if (a > starts.length) continue // no such field
    const end = b === 0 ? key.length - 1 : fieldEnd(Math.min(b, starts.length))
    for (let i = starts[a - 1]!; i <= end; i++) h = (Math.imul(31, h) + ((key[i]! << 24) >> 24)) | 0
  }
  return (h & 0x7fffffff) % reducers
}

/** mapreduce.partition.keypartitioner.options: `-kA[,B]` specs of whole fields (B 0: to the end); anything else is not simulated. */
export function keyFieldSpecs (options: string): Array<[number, number]> {
  return options.trim().split(/\s+/).map(o => {
    const m = /^-k(\d+)(?:,(\d+))?$/.exec(o)
    if (m === null) throw new SimError(`keypartitioner option ${o} is not simulated (only -kA[,B] of whole fields)`)
    return [Number(m[1]), Number(m[2] ?? 0)]
  })
}

function indexOf (b: Uint8Array, sep: Uint8Array, from: number): number {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).indexOf(sep, from)
}

/** LineReader.readLine without a custom delimiter, at `pos`: the line's end (without its terminator) and the bytes consumed. */
function readLine (b: Uint8Array, pos: number): { end: number, consumed: number } {
  for (let i = pos; i < b.length; i++) {
    if (b[i] === 10) return { end: i, consumed: i + 1 - pos }
    if (b[i] === 13) return { end: i, consumed: (b[i + 1] === 10 ? i + 2 : i + 1) - pos }
  }
  return { end: b.length, consumed: b.length - pos }
}

/** All lines of a byte stream as LineReader reads them (a task's stdout, stderr). */
export function readerLines (b: Uint8Array): Buffer[] {
  const out: Buffer[] = []
  for (let pos = 0; pos < b.length;) {
    const { end, consumed } = readLine(b, pos)
    out.push(Buffer.from(b.subarray(pos, end)))
    pos += consumed
  }
  return out
}

/** The records LineRecordReader gives for the split [start, start + length) of a file's bytes. */
export function splitRecords (file: Uint8Array, start: number, length: number): Buffer[] {
  const end = start + length
  let pos = start
  // not the first split: its first line (or the rest of one) is the split before's
  if (start !== 0) pos += readLine(file, start).consumed
  const out: Buffer[] = []
  // the line crossing the split's end (starting at `end` included) is this split's
  while (pos <= end && pos < file.length) {
    const { end: lineEnd, consumed } = readLine(file, pos)
    let from = pos
    if (pos === 0 && file[0] === 0xef && file[1] === 0xbb && file[2] === 0xbf && lineEnd >= 3) {
      from = 3
      if (consumed === 3) break // skipUtfByteOrderMark: nothing left but the BOM, a size of 0, no record
    }
    out.push(Buffer.from(file.subarray(from, lineEnd)))
    pos += consumed
  }
  return out
}

/** PipeMapRed.splitArgs: a command at spaces, single and double quotes grouping (and dropped). */
export function splitArgs (args: string): string[] {
  const out: string[] = []
  let state: 'out' | 'single' | 'double' = 'out'
  let start = 0
  for (let c = 0; c <= args.length; c++) {
    const last = c === args.length
    let endToken = false
    if (!last) {
      const ch = args[c]
      const before = state
      if (ch === '\'') state = state === 'out' ? 'single' : state === 'single' ? 'out' : state
      else if (ch === '"') state = state === 'out' ? 'double' : state === 'double' ? 'out' : state
      if (ch === '\'' || ch === '"') endToken = state !== before
      else if (ch === ' ' && state === 'out') endToken = true
    }
    if (last || endToken) {
      if (c !== start) out.push(args.slice(start, c))
      start = c + 1
    }
  }
  return out
}

/** Java's String.trim(): every char up to U+0020 off both ends. */
function javaTrim (s: string): string {
  let a = 0
  let b = s.length
  while (a < b && s.charCodeAt(a) <= 32) a++
  while (b > a && s.charCodeAt(b - 1) <= 32) b--
  return s.slice(a, b)
}

/** A counter line as MRErrorThread.incrCounter reads it, or undefined where it logs a warning. */
export function parseCounter (line: string): [group: string, name: string, amount: bigint] | undefined {
  const cols = javaTrim(line.slice('reporter:counter:'.length)).split(',')
  while (cols.length > 0 && cols[cols.length - 1] === '') cols.pop() // String.split drops trailing empty strings
  if (cols.length !== 3 || !/^[+-]?\d+$/.test(cols[2]!)) return undefined
  const n = BigInt(cols[2]!)
  if (n > 2n ** 63n - 1n || n < -(2n ** 63n)) return undefined // Long.parseLong
  return [cols[0]!, cols[1]!, n]
}

// ---- the job's arguments ---------------------------------------------------------------------

interface StreamingJob {
  conf: Map<string, string>
  files: string[]
  inputs: string[]
  output: string
  mapper: string
  combiner: string | undefined
  reducer: string | undefined
  reducers: number
  cmdenv: string[]
  partitioner: string | undefined
}

const KEY_FIELD_PARTITIONER = 'org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner'
const PARTITIONERS = ['org.apache.hadoop.mapred.lib.HashPartitioner', KEY_FIELD_PARTITIONER]

const GENERIC = new Set(['-D', '-files', '-libjars', '-archives', '-conf', '-fs', '-jt'])

/** The arguments after `mapred streaming` (generic options first, as GenericOptionsParser wants them). */
export function parseStreamingArgs (args: string[], cwd: string): StreamingJob {
  const job: StreamingJob = { conf: new Map(), files: [], inputs: [], output: '', mapper: '', combiner: undefined, reducer: undefined, reducers: 1, cmdenv: [], partitioner: undefined }
  let generic = true
  for (let i = 0; i < args.length; i++) {
    const opt = args[i]!
    const value = args[i + 1]
    if (value === undefined) throw new SimError(`streaming: ${opt} needs a value`)
    i++
    if (GENERIC.has(opt)) {
      if (!generic) throw new SimError(`streaming: generic option ${opt} after streaming options (GenericOptionsParser takes them first)`)
      if (opt === '-D') {
        const eq = value.indexOf('=')
        if (eq === -1) throw new SimError(`streaming: -D ${value}: no =`)
        job.conf.set(value.slice(0, eq), value.slice(eq + 1))
      } else if (opt === '-files') {
        job.files.push(...value.split(',').map(f => resolve(cwd, f.replace(/^file:\/\//, ''))))
      } else {
        throw new SimError(`streaming: ${opt} is not simulated`)
      }
      continue
    }
    generic = false
    switch (opt) {
      case '-input': job.inputs.push(resolve(cwd, value)); break
      case '-output': job.output = resolve(cwd, value); break
      case '-mapper': job.mapper = value; break
      case '-combiner': job.combiner = value; break
      case '-reducer': job.reducer = value; break
      case '-numReduceTasks': job.reducers = Number(value); break
      case '-cmdenv': job.cmdenv.push(value); break
      case '-partitioner': job.partitioner = value; break
      default: throw new SimError(`streaming: unknown option ${opt}`)
    }
  }
  if (job.inputs.length === 0 || job.output === '' || job.mapper === '') throw new SimError('streaming: -input, -output and -mapper are required')
  if (!Number.isInteger(job.reducers) || job.reducers < 0) throw new SimError(`streaming: -numReduceTasks ${job.reducers}`)
  if (job.partitioner !== undefined && !PARTITIONERS.includes(job.partitioner)) throw new SimError(`streaming: partitioner ${job.partitioner} is not simulated`)
  for (const key of job.conf.keys()) if (/comparator/.test(key)) throw new SimError(`streaming: ${key} is not simulated (keys sort as bytes)`)
  return job
}

// ---- input -----------------------------------------------------------------------------------

interface Split { path: string, start: number, length: number, gzip: boolean, index: number }

/** FileInputFormat.listStatus: a directory's files (not _ or . names), in name order. */
function listInputs (inputs: string[]): string[] {
  const out: string[] = []
  for (const p of inputs) {
    if (!existsSync(p)) throw new SimError(`Input path does not exist: ${p}`)
    if (!statSync(p).isDirectory()) { out.push(p); continue }
    for (const name of readdirSync(p).sort()) {
      if (name.startsWith('_') || name.startsWith('.')) continue
      if (statSync(join(p, name)).isDirectory()) throw new SimError(`Not a file: ${join(p, name)}`)
      out.push(join(p, name))
    }
  }
  return out
}

const SPLIT_SLOP = 1.1

/** FileInputFormat.getSplits(job, numSplits) of the old API, then JobSubmitter's biggest-first order. */
function splitsOf (files: string[], conf: Map<string, string>, blockSize: number): Split[] {
  const sizes = files.map(f => statSync(f).size)
  const total = sizes.reduce((a, b) => a + b, 0)
  const numSplits = Number(conf.get('mapreduce.job.maps') ?? 2)
  const goal = Math.floor(total / (numSplits === 0 ? 1 : numSplits))
  const min = Math.max(Number(conf.get('mapreduce.input.fileinputformat.split.minsize') ?? 1), 1)
  const splits: Split[] = []
  files.forEach((path, f) => {
    const length = sizes[f]!
    const gzip = path.endsWith('.gz')
    if (length === 0 || gzip) { splits.push({ path, start: 0, length, gzip, index: splits.length }); return }
    const size = Math.max(min, Math.min(goal, blockSize))
    let left = length
    while (left / size > SPLIT_SLOP) {
      splits.push({ path, start: length - left, length: size, gzip, index: splits.length })
      left -= size
    }
    if (left !== 0) splits.push({ path, start: length - left, length: left, gzip, index: splits.length })
  })
  return splits.map((s, i) => [s, i] as const).sort(([a, i], [b, j]) => b.length - a.length || i - j).map(([s]) => s)
}

function splitInput (s: Split): Buffer[] {
  const bytes = readFileSync(s.path)
  return s.gzip ? splitRecords(gunzipSync(bytes), 0, Infinity) : splitRecords(bytes, s.start, s.length)
}

// ---- tasks -----------------------------------------------------------------------------------

interface Pair { key: Buffer, value: Buffer }

interface TaskRun { stdout: Buffer, stderr: Buffer }

/** PipeMapRed.safeEnvVarName. */
const envName = (name: string): string => name.replace(/[^0-9A-Za-z]/g, '_')

class Sim {
  processes = 0
  readonly counters: Record<string, Record<string, number>> = {}
  readonly statuses: string[] = []
  logs = ''
  private readonly random: () => number
  private running = 0
  private readonly waiting: Array<() => void> = []
  private readonly scratch: string

  constructor (private readonly job: StreamingJob, private readonly o: SimOptions) {
    this.random = prng(o.seed ?? 1)
    this.scratch = mkdtempSync(join(tmpdir(), 'hadoop-sim-'))
  }

  close (): void { rmSync(this.scratch, { recursive: true, force: true }) }

  /** A task's working directory: the -files, linked by name, and nothing else. */
  private taskDir (name: string): string {
    const dir = join(this.scratch, name)
    mkdirSync(dir)
    for (const f of this.job.files) symlinkSync(f, join(dir, basename(f)))
    return dir
  }

  /** The command's program found as PipeMapRed finds it: absolute, else on PATH with the task's directory first. */
  private program (prog: string, dir: string, path: string): string {
    if (isAbsolute(prog)) return prog
    for (const d of [dir, ...path.split(delimiter)]) {
      const p = join(d, prog)
      if (d !== '' && existsSync(p) && statSync(p).isFile()) return p
    }
    return prog // ProcessBuilder then fails to start it
  }

  private async slot (): Promise<() => void> {
    const most = this.o.concurrency ?? 3
    if (this.running >= most) await new Promise<void>(resolve => this.waiting.push(resolve))
    this.running++
    return () => { this.running--; this.waiting.shift()?.() }
  }

  /** Runs one task's command over its input lines; fails the job (as Hadoop does after its attempts) when it exits non-zero. */
  async task (name: string, command: string, input: Buffer[] | Pair[], vars: Record<string, string>, reporting = true): Promise<TaskRun> {
    const release = await this.slot()
    try {
      const dir = this.taskDir(name)
      const env: Record<string, string> = {}
      for (const [k, v] of Object.entries(this.o.env)) if (v !== undefined) env[k] = v
      for (const [k, v] of this.job.conf) env[envName(k)] = v
      Object.assign(env, vars)
      for (const nv of this.job.cmdenv) { const eq = nv.indexOf('='); if (eq > 0) env[nv.slice(0, eq)] = nv.slice(eq + 1) }
      env.TMPDIR = dir
      const argv = splitArgs(command)
      const prog = this.program(argv[0]!, dir, env.PATH ?? '')
      this.processes++
      // TextInputWriter: a map task's lines; a combiner's and reducer's key, separator, value
      const sep = Buffer.from(this.job.conf.get('stream.reduce.input.field.separator') ?? '\t', 'utf8')
      const bytes = Buffer.concat(input.map(r => Buffer.isBuffer(r) ? Buffer.concat([r, NL]) : Buffer.concat([r.key, sep, r.value, NL])))
      const run = await new Promise<TaskRun & { code: number | null }>((resolve, reject) => {
        const child = spawn(prog, argv.slice(1), { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] })
        const out: Buffer[] = []
        const err: Buffer[] = []
        child.stdout.on('data', (b: Buffer) => out.push(b))
        child.stderr.on('data', (b: Buffer) => err.push(b))
        child.stdin.on('error', () => {}) // (a command that stops reading early)
        child.on('error', reject)
        child.on('close', code => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }))
        child.stdin.end(bytes)
      })
      this.readStderr(run.stderr, reporting)
      if (run.code !== 0) throw new SimError(`task ${name} (${command}) failed with exit code ${run.code}:\n${run.stderr.toString('utf8').slice(0, 3000)}`)
      return run
    } finally {
      release()
    }
  }

  /** MRErrorThread: counters and statuses go to the task's reporter; other lines to its log. */
  private readStderr (stderr: Buffer, reporting: boolean): void {
    for (const b of readerLines(stderr)) {
      const line = b.toString('utf8')
      if (!line.startsWith('reporter:')) { this.logs += line + '\n'; continue }
      if (!reporting) continue
      if (line.startsWith('reporter:counter:')) {
        const c = parseCounter(line)
        if (c === undefined) { this.logs += `WARN cannot parse counter line: ${line}\n`; continue }
        const group = this.counters[c[0]] ??= {}
        group[c[1]] = (group[c[1]] ?? 0) + Number(c[2])
      } else if (line.startsWith('reporter:status:')) {
        this.statuses.push(javaTrim(line.slice('reporter:status:'.length)))
      } else {
        this.logs += `WARN cannot parse reporter line: ${line}\n`
      }
    }
  }

  /**
   * A task's stdout as pairs: TextOutputReader splits each line after its Nth separator (a
   * mapper's stream.map.output.*, a combiner's and reducer's stream.reduce.output.*: one TAB);
   * a line with fewer is all key, with an empty value.
   */
  pairsOf (stdout: Buffer, side: 'map' | 'reduce'): Pair[] {
    const sep = Buffer.from(this.job.conf.get(`stream.${side}.output.field.separator`) ?? '\t', 'utf8')
    const fields = Number(this.job.conf.get(`stream.num.${side}.output.key.fields`) ?? 1)
    return readerLines(stdout).map(line => {
      let pos = line.indexOf(sep)
      for (let k = 1; k < fields && pos !== -1; k++) pos = line.indexOf(sep, pos + sep.length)
      return pos === -1 ? { key: line, value: Buffer.alloc(0) } : { key: line.subarray(0, pos), value: line.subarray(pos + sep.length) }
    })
  }

  /** TextOutputFormat's lines. */
  textOutput (pairs: Pair[]): Buffer {
    const sep = Buffer.from(this.job.conf.get('mapreduce.output.textoutputformat.separator') ?? '\t', 'utf8')
    return Buffer.concat(pairs.flatMap(p => [p.key, sep, p.value, NL]))
  }

  /** A byte sort by key: stable, or (valueOrder 'any') with equal keys in a random order. */
  sort (pairs: Pair[]): Pair[] {
    const tagged = pairs.map(p => ({ p, r: this.o.valueOrder === 'any' ? this.random() : 0 }))
    tagged.sort((a, b) => Buffer.compare(a.p.key, b.p.key) || a.r - b.r)
    return tagged.map(x => x.p)
  }

  partition (key: Buffer): number {
    if (this.job.partitioner !== KEY_FIELD_PARTITIONER) return hashPartition(key, this.job.reducers)
    const sep = Buffer.from(this.job.conf.get('mapreduce.map.output.key.field.separator') ?? '\t', 'utf8')
    return keyFieldPartition(key, keyFieldSpecs(this.job.conf.get('mapreduce.partition.keypartitioner.options') ?? '-k1'), sep, this.job.reducers)
  }
}

const NL = Buffer.from('\n')
const part = (kind: 'm' | 'r', i: number): string => `part-${kind}-${String(i).padStart(5, '0')}`

/** Runs one streaming job; resolves with its output, counters and statuses, or rejects with the task that failed. */
export async function runStreaming (args: string[], o: SimOptions): Promise<SimResult> {
  const job = parseStreamingArgs(args, o.cwd)
  if (existsSync(job.output)) throw new SimError(`Output directory ${job.output} already exists`)
  for (const f of job.files) if (!existsSync(f)) throw new SimError(`-files ${f}: not found`)
  const sim = new Sim(job, o)
  try {
    const splits = splitsOf(listInputs(job.inputs), job.conf, o.blockSize ?? 128 << 20)
    const R = job.reducers
    // map tasks, numbered as submitted (biggest split first)
    const maps = await Promise.all(splits.map(async (s, id) => {
      const vars = {
        mapreduce_task_partition: String(id),
        mapreduce_map_input_file: `file:${s.path}`,
        map_input_file: `file:${s.path}`,
        mapreduce_map_input_start: String(s.start),
        map_input_start: String(s.start),
        mapreduce_map_input_length: String(s.length),
        map_input_length: String(s.length),
      }
      const run = await sim.task(`m_${id}`, job.mapper, splitInput(s), vars)
      const pairs = sim.pairsOf(run.stdout, 'map')
      if (R === 0) return { split: s, id, output: sim.textOutput(pairs), partitions: [] }
      return { split: s, id, output: Buffer.alloc(0), partitions: await mapSide(sim, job, o, id, pairs) }
    }))
    const parts: Array<{ name: string, bytes: Buffer }> = []
    let inInputOrder = parts
    if (R === 0) {
      for (const m of maps) parts.push({ name: part('m', m.id), bytes: m.output })
      inInputOrder = [...maps].sort((a, b) => a.split.index - b.split.index).map(m => parts[m.id]!)
    } else {
      // reduce side: each partition's segments, from the map tasks in input order
      const byInput = [...maps].sort((a, b) => a.split.index - b.split.index)
      const outputs = await Promise.all(Array.from({ length: R }, async (_, r) => {
        const merged = sim.sort(byInput.flatMap(m => m.partitions[r]!))
        // a reducer with no input still starts (configure), and what it writes is dropped
        const run = await sim.task(`r_${r}`, job.reducer ?? 'cat', merged, { mapreduce_task_partition: String(r) }, merged.length > 0)
        return merged.length > 0 ? sim.textOutput(sim.pairsOf(run.stdout, 'reduce')) : Buffer.alloc(0)
      }))
      outputs.forEach((bytes, r) => parts.push({ name: part('r', r), bytes }))
    }
    mkdirSync(job.output, { recursive: true })
    for (const p of parts) writeFileSync(join(job.output, p.name), p.bytes)
    writeFileSync(join(job.output, '_SUCCESS'), '')
    return { output: job.output, parts, inInputOrder, counters: sim.counters, statuses: sim.statuses, processes: sim.processes, logs: sim.logs }
  } finally {
    sim.close()
  }
}

/**
 * A map task's output, by partition: spills of spillRecords records, each sorted and combined
 * per partition (sortAndSpill), then merged, and combined again if there were 3 or more.
 */
async function mapSide (sim: Sim, job: StreamingJob, o: SimOptions, id: number, pairs: Pair[]): Promise<Pair[][]> {
  const R = job.reducers
  const per = o.spillRecords ?? Infinity
  const spills: Pair[][][] = []
  for (let from = 0; from < pairs.length || spills.length === 0; from += per) {
    const spill = pairs.slice(from, from + per)
    const byPartition: Pair[][] = Array.from({ length: R }, () => [])
    for (const p of spill) byPartition[sim.partition(p.key)]!.push(p)
    spills.push(await Promise.all(byPartition.map(async (records, r) => {
      const sorted = sim.sort(records)
      if (job.combiner === undefined || sorted.length === 0) return sorted
      const run = await sim.task(`m_${id}_spill${spills.length}_c${r}`, job.combiner, sorted, { mapreduce_task_partition: String(id) })
      return sim.sort(sim.pairsOf(run.stdout, 'reduce'))
    })))
    if (pairs.length === 0) break
  }
  if (spills.length === 1) return spills[0]!
  return await Promise.all(Array.from({ length: R }, async (_, r) => {
    const merged = sim.sort(spills.flatMap(s => s[r]!))
    if (job.combiner === undefined || spills.length < 3 || merged.length === 0) return merged
    const run = await sim.task(`m_${id}_merge_c${r}`, job.combiner, merged, { mapreduce_task_partition: String(id) })
    return sim.sort(sim.pairsOf(run.stdout, 'reduce'))
  }))
}

/** A job's output directory's part files, concatenated in name order. */
export function readOutput (dir: string): Buffer {
  return Buffer.concat(readdirSync(dir).filter(n => n.startsWith('part-')).sort().map(n => readFileSync(join(dir, n))))
}
