// The scenarios and, for each, the tools that run it: mrstream (default workers and one
// worker) and its peers. Every tool is a bash command that reads the input file and writes
// its result to stdout; `normalize` (a filter, stdin to stdout) turns a peer's result into
// mrstream's `key<TAB>value` lines before outputs are compared.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Kind } from './gen.js'
import { sh } from './measure.js'
import { JOBS_DIR, MRSTREAM_BIN, PEERS_DIR } from './paths.js'

export const SCENARIO_NAMES = ['wordcount', 'paths', 'sum', 'sort', 'hotkey'] as const
export type ScenarioName = typeof SCENARIO_NAMES[number]

/** What a tool's command needs. */
export interface ToolContext {
  input: string
  /** mrstream's --memory, as given (e.g. "256MB"). */
  memory: string
  memoryBytes: number
  /** Scratch space for spills (mrstream --tmp-dir, sort -T, DuckDB temp_directory). */
  tmpDir: string
}

export interface Tool {
  /** File-name-safe id, e.g. "mrstream-w1". */
  id: string
  /** The name shown in tables. */
  name: string
  command: (ctx: ToolContext) => string
  normalize?: string
  /** Runs on a slice of the input only (too slow for all of it). */
  slice?: boolean
  /** The tool every other output is checked against (the GNU sort pipeline). */
  reference?: boolean
  /** mrstream: its output must already be in key order. */
  mustBeSorted?: boolean
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
  /** Job file in benchmarks/jobs/. */
  job: string
  description: string
  /** The GNU coreutils pipeline for this scenario. */
  sortPipeline: { name: string, command: (ctx: ToolContext) => string, normalize?: string }
  /** A mawk program in peers/awk/, with its field separator; undefined: no awk peer. */
  awk?: { program: string, tabSeparated: boolean }
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

export const SCENARIOS: Scenario[] = [
  {
    name: 'wordcount',
    title: 'Word count',
    data: 'words',
    job: 'wordcount.mjs',
    description: 'Zipf-distributed words, 10-15 per line; count per word (with combine).',
    sortPipeline: {
      name: 'sort | uniq -c',
      command: ctx => `tr -s ' ' '\\n' < ${sh(ctx.input)} | ${gnuSort(ctx, '')} | uniq -c`,
      normalize: "sed -E 's/^ *([0-9]+) (.*)$/\\2\\t\\1/'",
    },
    awk: { program: 'wordcount.awk', tabSeparated: false },
  },
  {
    name: 'paths',
    title: 'Requests and bytes per path',
    data: 'logs',
    job: 'paths.mjs',
    description: 'Apache combined log, Zipfian IPs and paths; [requests, bytes] per path (with combine).',
    sortPipeline: {
      name: 'cut | sort | awk',
      command: ctx => `cut -d' ' -f7,10 ${sh(ctx.input)} | ${gnuSort(ctx, "-t' ' -k1,1")} | mawk -f ${awkFile('paths-grouped.awk')}`,
    },
    awk: { program: 'paths.awk', tabSeparated: false },
  },
  {
    name: 'sum',
    title: 'Sum per key, high cardinality',
    data: 'kv',
    job: 'sum.mjs',
    description: 'key<TAB>integer lines, distinct keys about lines/3; sum per key (with combine).',
    sortPipeline: {
      name: 'sort | awk',
      command: ctx => `${gnuSort(ctx, `-t $'\\t' -k1,1 ${sh(ctx.input)}`)} | mawk -F'\\t' -f ${awkFile('sum-grouped.awk')}`,
    },
    awk: { program: 'sum.awk', tabSeparated: true },
  },
  {
    name: 'sort',
    title: 'Sort lines',
    data: 'lines',
    job: 'sort.mjs',
    description: 'Random text lines, mostly distinct; the sorted lines, duplicates kept (as `LC_ALL=C sort`).',
    sortPipeline: {
      name: 'sort',
      command: ctx => gnuSort(ctx, sh(ctx.input)),
    },
    peerNormalize: "sed 's/$/\\t/'",
  },
  {
    name: 'hotkey',
    title: 'Hot key, no combiner',
    data: 'hotkey',
    job: 'hotkey.mjs',
    description: 'key<TAB>integer lines, 90% with one key; sum per key WITHOUT combine (all values of one key stream through reduce).',
    sortPipeline: {
      name: 'sort | awk',
      command: ctx => `${gnuSort(ctx, `-t $'\\t' -k1,1 ${sh(ctx.input)}`)} | mawk -F'\\t' -f ${awkFile('sum-grouped.awk')}`,
    },
    awk: { program: 'sum.awk', tabSeparated: true },
  },
]

function mrstream (scenario: Scenario, workers?: number): Tool {
  const job = join(JOBS_DIR, scenario.job)
  const workersFlag = workers === undefined ? '' : ` --workers ${workers}`
  return {
    id: workers === undefined ? 'mrstream' : `mrstream-w${workers}`,
    name: workers === undefined ? 'mrstream' : `mrstream --workers ${workers}`,
    command: ctx => `node ${sh(MRSTREAM_BIN)} --job ${sh(job)} --memory ${sh(ctx.memory)}${workersFlag} --tmp-dir ${sh(ctx.tmpDir)} -q ${sh(ctx.input)}`,
    mustBeSorted: true,
  }
}

function hasCommand (name: string): boolean {
  return spawnSync('bash', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0
}

/** True if `@duckdb/node-api` can be imported from this repository. */
export function duckdbInstalled (): boolean {
  try {
    import.meta.resolve('@duckdb/node-api')
    return true
  } catch {
    return false
  }
}

export const DUCKDB_MISSING = 'skipped: duckdb not installed (npm install --no-save @duckdb/node-api)'

/** The tools of a scenario, in their default order; those that cannot run carry `skip`. */
export function toolsFor (scenario: Scenario): Tool[] {
  const peer = (tool: Tool): Tool =>
    (tool.normalize === undefined && scenario.peerNormalize !== undefined ? { ...tool, normalize: scenario.peerNormalize } : tool)
  const awk = scenario.awk
  const tools: Tool[] = [
    mrstream(scenario),
    mrstream(scenario, 1),
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
      name: 'node Map',
      command: ctx => `node ${sh(join(PEERS_DIR, 'node-map.mjs'))} ${scenario.name} < ${sh(ctx.input)}`,
    }),
    peer({
      id: 'highland',
      name: 'highland',
      command: ctx => `node ${sh(join(PEERS_DIR, 'highland.mjs'))} ${scenario.name} < ${sh(ctx.input)}`,
      slice: true,
    }),
    peer({
      id: 'duckdb',
      name: 'DuckDB',
      command: ctx => `node ${sh(join(PEERS_DIR, 'duckdb.mjs'))} ${scenario.name} ${sh(ctx.input)} /dev/stdout ${Math.round(ctx.memoryBytes / (1 << 20))}MiB ${sh(ctx.tmpDir)}`,
      skip: duckdbInstalled() ? undefined : skip('skipped: not installed', DUCKDB_MISSING),
    }),
  ]
  return tools
}

/** Tools the harness itself needs; a message for each one missing. */
export function missingPrerequisites (): string[] {
  const missing: string[] = []
  if (!existsSync('/usr/bin/time')) missing.push('/usr/bin/time (GNU time) is missing: apt-get install -y time')
  for (const cmd of ['bash', 'sort', 'sed', 'cut', 'tr', 'uniq']) if (!hasCommand(cmd)) missing.push(`${cmd} is missing`)
  return missing
}
