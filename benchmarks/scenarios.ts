// The scenarios and, for each, the tools that run it: mrstream (default workers and one
// worker) and its peers. Every tool is a bash command that reads the input file and writes
// its result to stdout; `normalize` (a filter, stdin to stdout) turns a peer's result into
// mrstream's `key<TAB>value` lines before outputs are compared.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import type { Kind } from './gen.js'
import { sh } from './measure.js'
import { BENCH_DIR, JOBS_DIR, MRSTREAM_BIN, PEERS_DIR } from './paths.js'

export const SCENARIO_NAMES = ['wordcount', 'text', 'paths', 'dups', 'sum', 'letters', 'hotkey', 'sort'] as const
export type ScenarioName = typeof SCENARIO_NAMES[number]

/** mrstream's default workers (one per CPU): Polars and chDB get as many threads. */
export const WORKERS = availableParallelism()

/** What a tool's command needs. */
export interface ToolContext {
  input: string
  /** mrstream's --memory, as given (e.g. "256MB"). */
  memory: string
  memoryBytes: number
  /** Scratch space for spills (mrstream --tmp-dir, sort -T, DuckDB temp_directory). */
  tmpDir: string
}

export type ToolKind = 'mrstream' | 'floor' | 'peer'

export interface Tool {
  /** File-name-safe id, e.g. "mrstream-w1". */
  id: string
  /** The name shown in tables. */
  name: string
  kind: ToolKind
  command: (ctx: ToolContext) => string
  normalize?: string
  /** The tool every other output is checked against (the GNU sort pipeline). */
  reference?: boolean
  /** mrstream: its output must already be in key order. */
  mustBeSorted?: boolean
  /** The floor: its output is not a result, and its time is divided by this many workers. */
  divideBy?: number
  /** mrstream: the peak RSS it promises to stay within (docs/memory.md), in bytes. */
  memoryBound?: (ctx: ToolContext) => number
  /** Why this tool does not run here (not installed, or not applicable): a table cell and a message. */
  skip?: Skip
}

export interface Skip { cell: string, message: string }

function skip (cell: string, message = cell): Skip {
  return { cell, message }
}

export interface Scenario {
  name: ScenarioName
  title: string
  data: Kind
  /** The job written the obvious way, in benchmarks/jobs/. */
  job: string
  /** The same job with mrstream's field() or words() (a second mrstream row), if there is one. */
  tunedJob?: string
  description: string
  /** The GNU coreutils pipeline for this scenario. */
  sortPipeline: { name: string, command: (ctx: ToolContext) => string, normalize?: string }
  /** A mawk program in peers/awk/, with its field separator; undefined: no awk peer. */
  awk?: { program: string, tabSeparated: boolean }
  /** Arguments of the hand-written one-thread word count (peers/node-fast.mjs), if it applies. */
  nodeFast?: string
  /** Normalizer for every peer's output (sort: peers print bare lines). */
  peerNormalize?: string
}

// `sort` with the same memory as mrstream, byte order, spilling where mrstream spills.
function gnuSort (ctx: ToolContext, args: string): string {
  return `LC_ALL=C sort -S ${Math.round(ctx.memoryBytes / 1024)}K -T ${sh(ctx.tmpDir)} ${args}`
}

function awkFile (name: string): string {
  return sh(join(PEERS_DIR, 'awk', name))
}

/** `uniq -c` lines ("   12 word") as `word<TAB>12`. */
const UNIQ_C = "sed -E 's/^ *([0-9]+) (.*)$/\\2\\t\\1/'"

/** `<words, one a line> | sort | uniq -c`, normalized. */
function countPipeline (name: string, words: (ctx: ToolContext) => string): Scenario['sortPipeline'] {
  return { name, command: ctx => `${words(ctx)} | ${gnuSort(ctx, '')} | uniq -c`, normalize: UNIQ_C }
}

const sumGrouped: Scenario['sortPipeline'] = {
  name: 'sort | awk',
  command: ctx => `${gnuSort(ctx, `-t $'\\t' -k1,1 ${sh(ctx.input)}`)} | mawk -F'\\t' -f ${awkFile('sum-grouped.awk')}`,
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'wordcount',
    title: 'Word count, Zipf words',
    data: 'words',
    job: 'wordcount.mjs',
    tunedJob: 'wordcount-tuned.mjs',
    description: 'Zipf-distributed words (about 1M distinct at 200 MB), 10-15 a line; `line.split(\' \')`, count per word, with combine.',
    sortPipeline: countPipeline('tr | sort | uniq -c', ctx => `LC_ALL=C tr -s ' ' '\\n' < ${sh(ctx.input)}`),
    awk: { program: 'wordcount.awk', tabSeparated: false },
    nodeFast: '',
  },
  {
    name: 'text',
    title: 'Word count, real text',
    data: 'text',
    job: 'text.mjs',
    tunedJob: 'text-tuned.mjs',
    description: 'Eight Gutenberg books repeated; `line.toLowerCase().split(\' \')`, count per word, with combine.',
    sortPipeline: countPipeline('tr | sort | uniq -c', ctx => `LC_ALL=C tr 'A-Z' 'a-z' < ${sh(ctx.input)} | LC_ALL=C tr -s ' ' '\\n' | LC_ALL=C grep -v '^$'`),
    awk: { program: 'text.awk', tabSeparated: false },
    nodeFast: '--lower',
  },
  {
    name: 'paths',
    title: 'Requests per path',
    data: 'logs',
    job: 'paths.mjs',
    tunedJob: 'paths-tuned.mjs',
    description: 'Apache combined log, Zipfian IPs and paths; `emit(line.split(\' \')[6], 1)`, with combine.',
    sortPipeline: countPipeline('cut | sort | uniq -c', ctx => `cut -d' ' -f7 ${sh(ctx.input)}`),
    awk: { program: 'paths.awk', tabSeparated: false },
  },
  {
    name: 'dups',
    title: 'Duplicate lines, no combiner',
    data: 'lines',
    job: 'dups.mjs',
    description: 'Random text lines, about 2% repeats; `emit(line, 1)`, count per line, WITHOUT combine.',
    sortPipeline: { name: 'sort | uniq -c', command: ctx => `${gnuSort(ctx, sh(ctx.input))} | uniq -c`, normalize: UNIQ_C },
    awk: { program: 'dups.awk', tabSeparated: false },
  },
  {
    name: 'sum',
    title: 'Sum per key, high cardinality',
    data: 'kv',
    job: 'sum.mjs',
    description: 'key<TAB>integer lines, distinct keys about lines/3; `indexOf(\'\\t\')` and `Number`, sum per key, with combine.',
    sortPipeline: sumGrouped,
    awk: { program: 'sum.awk', tabSeparated: true },
  },
  {
    name: 'letters',
    title: 'Word count by regex, no combiner',
    data: 'text',
    job: 'letters.mjs',
    description: 'Eight Gutenberg books repeated; `line.match(/\\p{L}+/gu)`, count per word, WITHOUT combine (every pair is sorted, spilled and merged).',
    sortPipeline: countPipeline('tr | sort | uniq -c', ctx => `LC_ALL=C tr -cs 'A-Za-z' '\\n' < ${sh(ctx.input)} | LC_ALL=C grep -v '^$'`),
    awk: { program: 'letters.awk', tabSeparated: false },
  },
  {
    name: 'hotkey',
    title: 'Hot key, no combiner',
    data: 'hotkey',
    job: 'hotkey.mjs',
    description: 'key<TAB>integer lines, 90% with one key; sum per key WITHOUT combine (all values of one key stream through reduce).',
    sortPipeline: sumGrouped,
    awk: { program: 'sum.awk', tabSeparated: true },
  },
  {
    name: 'sort',
    title: 'Sort lines',
    data: 'lines',
    job: 'sort.mjs',
    description: 'Random text lines, mostly distinct; the sorted lines, duplicates kept (as `LC_ALL=C sort`).',
    sortPipeline: { name: 'sort', command: ctx => gnuSort(ctx, sh(ctx.input)) },
    peerNormalize: "sed 's/$/\\t/'",
  },
]

function mrstream (id: string, name: string, job: string, workers?: number): Tool {
  const workersFlag = workers === undefined ? '' : ` --workers ${workers}`
  return {
    id,
    name,
    kind: 'mrstream',
    command: ctx => `node ${sh(MRSTREAM_BIN)} --job ${sh(join(JOBS_DIR, job))} --memory ${sh(ctx.memory)}${workersFlag} --tmp-dir ${sh(ctx.tmpDir)} -q ${sh(ctx.input)}`,
    mustBeSorted: true,
    // --memory + 100 MB + 50 MB a worker (no record here reaches 1 MB)
    memoryBound: ctx => ctx.memoryBytes + (100 + 50 * (workers ?? WORKERS)) * 2 ** 20,
  }
}

function hasCommand (name: string): boolean {
  return spawnSync('bash', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0
}

/** The npm packages of the optional peers, and how to install them (never dependencies of mrstream). */
export const OPTIONAL_PEERS = {
  duckdb: { modules: ['@duckdb/node-api'], install: 'npm install --no-save @duckdb/node-api' },
  polars: { modules: ['nodejs-polars'], install: 'npm install --no-save nodejs-polars nodejs-polars-linux-x64-gnu' },
  chdb: { modules: ['chdb'], install: 'npm install --no-save chdb' },
} as const
export type OptionalPeer = keyof typeof OPTIONAL_PEERS

const loads = new Map<OptionalPeer, boolean>()

/** True if the peer's packages load here (native binary included), tried once in a child process. */
export function peerInstalled (peer: OptionalPeer): boolean {
  let ok = loads.get(peer)
  if (ok === undefined) {
    const script = OPTIONAL_PEERS[peer].modules.map(m => `await import(${JSON.stringify(m)})`).join(';')
    ok = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: BENCH_DIR, stdio: 'ignore', timeout: 60_000 }).status === 0
    loads.set(peer, ok)
  }
  return ok
}

function optional (peer: OptionalPeer): Skip | undefined {
  return peerInstalled(peer) ? undefined : skip('skipped: not installed', `skipped: not installed or does not load (${OPTIONAL_PEERS[peer].install})`)
}

/** The tools of a scenario, in their default order; those that cannot run carry `skip`. */
export function toolsFor (scenario: Scenario): Tool[] {
  const peer = (tool: Omit<Tool, 'kind'>): Tool => ({ ...tool, kind: 'peer', normalize: tool.normalize ?? scenario.peerNormalize })
  const awk = scenario.awk
  const mib = (ctx: ToolContext): number => Math.round(ctx.memoryBytes / (1 << 20))
  const tools: Tool[] = [
    mrstream('mrstream', 'mrstream', scenario.job),
    mrstream('mrstream-w1', 'mrstream --workers 1', scenario.job, 1),
  ]
  if (scenario.tunedJob !== undefined) tools.push(mrstream('mrstream-tuned', `mrstream, ${scenario.tunedJob}`, scenario.tunedJob))
  tools.push(
    {
      id: 'floor',
      name: `floor: map alone ÷ ${WORKERS}`,
      kind: 'floor',
      command: ctx => `node ${sh(join(BENCH_DIR, 'floor.mjs'))} ${sh(join(JOBS_DIR, scenario.job))} ${sh(ctx.input)}`,
      divideBy: WORKERS,
    },
    peer({
      id: 'sort',
      name: scenario.sortPipeline.name,
      command: scenario.sortPipeline.command,
      normalize: scenario.sortPipeline.normalize,
      reference: true,
    }),
    peer({
      id: 'mawk',
      name: 'mawk',
      command: ctx => `mawk${awk?.tabSeparated ? " -F'\\t'" : ''} -f ${awkFile(awk?.program ?? '')} ${sh(ctx.input)}`,
      skip: awk === undefined ? skip('n/a: awk has no sort') : hasCommand('mawk') ? undefined : skip('skipped: not installed', 'skipped: mawk not installed (apt-get install -y mawk)'),
    }),
    peer({
      id: 'node-map',
      name: 'node Map, 1 thread',
      command: ctx => `node ${sh(join(PEERS_DIR, 'node-map.mjs'))} ${sh(join(JOBS_DIR, scenario.job))}${scenario.name === 'sort' ? ' --sort' : ''} < ${sh(ctx.input)}`,
    })
  )
  if (scenario.nodeFast !== undefined) {
    const args = scenario.nodeFast === '' ? '' : ` ${scenario.nodeFast}`
    tools.push(peer({ id: 'node-fast', name: 'node by hand, 1 thread', command: ctx => `node ${sh(join(PEERS_DIR, 'node-fast.mjs'))}${args} ${sh(ctx.input)}` }))
  }
  tools.push(
    peer({
      id: 'duckdb',
      name: 'DuckDB',
      command: ctx => `node ${sh(join(PEERS_DIR, 'duckdb.mjs'))} ${scenario.name} ${sh(ctx.input)} /dev/stdout ${mib(ctx)}MiB ${sh(ctx.tmpDir)}`,
      skip: optional('duckdb'),
    }),
    peer({
      id: 'polars',
      name: 'Polars',
      command: ctx => `POLARS_MAX_THREADS=${WORKERS} node ${sh(join(PEERS_DIR, 'polars.mjs'))} ${scenario.name} ${sh(ctx.input)} ${sh(ctx.tmpDir)}`,
      skip: optional('polars'),
    }),
    peer({
      id: 'chdb',
      name: 'chDB',
      command: ctx => `node ${sh(join(PEERS_DIR, 'chdb.mjs'))} ${scenario.name} ${sh(ctx.input)} ${ctx.memoryBytes} ${WORKERS} ${sh(ctx.tmpDir)}`,
      skip: optional('chdb'),
    })
  )
  return tools
}

/** Tools the harness itself needs; a message for each one missing. */
export function missingPrerequisites (): string[] {
  const missing: string[] = []
  if (!existsSync('/usr/bin/time')) missing.push('/usr/bin/time (GNU time) is missing: apt-get install -y time')
  for (const cmd of ['bash', 'sort', 'sed', 'cut', 'tr', 'uniq', 'grep']) if (!hasCommand(cmd)) missing.push(`${cmd} is missing`)
  return missing
}
