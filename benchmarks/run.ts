// The benchmark suite: `npm run bench [-- options]`.
//
//   --size 64MB        input per scenario (default 64MB: a few minutes in all; 1GB: the full run)
//   --only a,b         scenarios to run (default: all; names in scenarios.ts)
//   --repeat N         runs per tool; the table shows medians (default 1)
//   --memory 256MB     mrstream --memory; also sort -S and DuckDB memory_limit (default 256MB)
//   --seed N           data generator seed (default 1)
//   --timeout S        seconds before a run is killed (default 120 + 2 per MB of input)
//
// For each scenario: generate (or reuse) the input, run mrstream and every peer in a fresh
// process under /usr/bin/time -v, check that all outputs agree, print a table. Then write
// benchmarks/RESULTS.md and benchmarks/results.svg (at another size: RESULTS-<size>.md and
// results-<size>.svg). Exit code 1 if mrstream failed or any output disagreed (a peer that
// fails, e.g. out of memory, is reported as failed: a result, not an error of the harness).
import { closeSync, mkdirSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { firstDifferences, fingerprint, type Fingerprint } from './check.js'
import { ensureData, formatSize, parseSize, type Kind } from './gen.js'
import { describeMachine, machineLine } from './machine.js'
import { measure, type Measured } from './measure.js'
import { BENCH_DIR, OUT_DIR, ROOT } from './paths.js'
import { problemsOf, resultsMarkdown, resultsSvg, scenarioHeading, scenarioTable, summaryTables, type Row, type ScenarioResult } from './report.js'
import { SCENARIO_NAMES, SCENARIOS, missingPrerequisites, toolsFor, type Scenario, type ScenarioName, type Tool, type ToolContext } from './scenarios.js'

const MiB = 1 << 20
const DEFAULT_SIZE = '64MB'

interface Options {
  size: string
  sizeBytes: number
  only: ScenarioName[]
  repeat: number
  memory: string
  memoryBytes: number
  seed: number
  timeoutSeconds?: number
}

/** Every run of one tool in one scenario. */
interface ToolRuns {
  measured: Measured[]
  /** One per successful run. */
  prints: Fingerprint[]
  /** Set if normalizing or sorting an output failed (the harness's own failure, not the tool's). */
  checkError?: string
}

const USAGE = `usage: npm run bench -- [--size 64MB] [--only ${SCENARIO_NAMES.join(',')}] [--repeat N] [--memory 256MB] [--seed N] [--timeout S]`

function usage (message: string): never {
  console.error(`bench: ${message}`)
  console.error(USAGE)
  process.exit(2)
}

function parseOptions (argv: string[]): Options {
  const o: Options = { size: DEFAULT_SIZE, sizeBytes: parseSize(DEFAULT_SIZE), only: [...SCENARIO_NAMES], repeat: 1, memory: '256MB', memoryBytes: 256 * MiB, seed: 1 }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!
    if (flag === '-h' || flag === '--help') {
      console.log(USAGE)
      process.exit(0)
    }
    const value = argv[++i]
    if (value === undefined) usage(`${flag} needs a value`)
    const integer = (): number => {
      const n = Number(value)
      if (!Number.isInteger(n) || n < 1) usage(`${flag} expects a positive integer, got ${JSON.stringify(value)}`)
      return n
    }
    const size = (): number => {
      try { return parseSize(value) } catch (e) { usage((e as Error).message) }
    }
    switch (flag) {
      case '--size': o.size = value; o.sizeBytes = size(); break
      case '--memory': o.memory = value; o.memoryBytes = size(); break
      case '--repeat': o.repeat = integer(); break
      case '--seed': o.seed = integer(); break
      case '--timeout': o.timeoutSeconds = integer(); break
      case '--only': {
        const names = value.split(',').map(s => s.trim()).filter(Boolean)
        for (const n of names) if (!SCENARIO_NAMES.includes(n as ScenarioName)) usage(`unknown scenario ${JSON.stringify(n)}; scenarios: ${SCENARIO_NAMES.join(', ')}`)
        o.only = names as ScenarioName[]
        break
      }
      default: usage(`unknown option ${JSON.stringify(flag)}`)
    }
  }
  return o
}

function log (line: string): void {
  process.stdout.write(line + '\n')
}

function median (values: number[]): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

function prepareInput (kind: Kind, opts: Options): string {
  const started = Date.now()
  const path = ensureData(kind, opts.sizeBytes, opts.seed)
  const seconds = (Date.now() - started) / 1000
  if (seconds > 0.5) log(`  generated ${kind} ${opts.size} in ${seconds.toFixed(1)} s`)
  return path
}

function failed (m: Measured): boolean {
  return m.timedOut || m.code !== 0
}

function describeFailure (m: Measured, timeoutSeconds: number): string {
  return m.timedOut ? `**TIMEOUT** (killed after ${timeoutSeconds} s)` : `**FAILED** (exit ${m.code ?? 'signal'})`
}

/** Runs one tool once; its output stays in benchmarks/out/<scenario>/<tool id>.out. */
async function runTool (tool: Tool, ctx: ToolContext, dir: string, timeoutSeconds: number): Promise<{ measured: Measured, output: string }> {
  const base = join(dir, tool.id)
  const measured = await measure({
    command: tool.command(ctx),
    stdout: `${base}.out`,
    stderr: `${base}.err`,
    timeFile: `${base}.time`,
    timeoutSeconds,
    cwd: BENCH_DIR,
  })
  return { measured, output: `${base}.out` }
}

function progressLine (tool: Tool, m: Measured, bytes: number): string {
  const status = failed(m) ? (m.timedOut ? 'TIMEOUT' : `FAILED exit ${m.code}`) : 'ok'
  const speed = failed(m) ? '' : `${(bytes / MiB / m.wallSeconds).toFixed(1).padStart(7)} MB/s`
  const note = tool.divideBy === undefined ? '' : `  (1 thread; ÷ ${tool.divideBy} = ${(m.wallSeconds / tool.divideBy).toFixed(2)} s)`
  return `  ${tool.name.padEnd(30)} ${m.wallSeconds.toFixed(2).padStart(8)} s ${speed.padEnd(13)} peak ${(m.peakRss / MiB).toFixed(0).padStart(5)} MB  ${status}${note}`
}

/** The fingerprint the others must match: the reference tool's, else the most common one. */
function expectedPrint (tools: Tool[], runs: Map<string, ToolRuns>): { print?: Fingerprint, from: string } {
  const reference = tools.find(t => t.reference)
  const refRuns = reference === undefined ? undefined : runs.get(reference.id)
  if (reference !== undefined && refRuns !== undefined && !refRuns.measured.some(failed) && refRuns.checkError === undefined) {
    return { print: refRuns.prints[refRuns.prints.length - 1], from: reference.name }
  }
  const counts = new Map<string, { n: number, print: Fingerprint }>()
  for (const tool of tools) {
    const r = runs.get(tool.id)
    if (tool.kind === 'floor' || r === undefined || r.measured.some(failed) || r.checkError !== undefined) continue
    const p = r.prints[r.prints.length - 1]!
    counts.set(p.md5, { n: (counts.get(p.md5)?.n ?? 0) + 1, print: p })
  }
  const best = [...counts.values()].sort((a, b) => b.n - a.n)[0]
  return best !== undefined && best.n >= 2 ? { print: best.print, from: 'the most common output' } : { from: 'nothing (too few tools succeeded)' }
}

function rowFor (
  tool: Tool,
  r: ToolRuns | undefined,
  expected: { print?: Fingerprint, from: string },
  inputBytes: number,
  opts: Options,
  notes: string[],
  timeoutSeconds: number
): Row {
  const row: Row = { id: tool.id, tool: tool.name, kind: tool.kind, inputBytes, succeeded: false, check: '', problem: false, baseline: tool.id === 'mrstream' }
  if (tool.skip !== undefined || r === undefined) {
    row.check = tool.skip?.cell ?? 'not run'
    return row
  }
  row.wallSeconds = median(r.measured.map(m => m.wallSeconds / (tool.divideBy ?? 1)))
  row.cpuSeconds = median(r.measured.map(m => m.cpuSeconds))
  row.peakRss = Math.max(...r.measured.map(m => m.peakRss))
  const bad = r.measured.find(failed)
  if (bad !== undefined) {
    row.check = describeFailure(bad, timeoutSeconds)
    row.problem = true
    if (bad.timedOut) { // GNU time was killed too: no figures
      row.peakRss = undefined
      row.cpuSeconds = undefined
    }
    const command = withoutRoot(tool.command({ input: 'INPUT', memory: opts.memory, memoryBytes: opts.memoryBytes, tmpDir: 'TMP' }))
    notes.push(`**${tool.name}: ${unbold(row.check)}**; command: \`${command}\`; stderr:\n\n\`\`\`\n${bad.stderrHead || '(empty)'}\n\`\`\``)
    return row
  }
  if (r.checkError !== undefined) {
    row.check = '**CHECK FAILED**'
    row.problem = true
    notes.push(`**${tool.name}: its output could not be checked**: ${r.checkError}`)
    return row
  }
  row.succeeded = true
  if (tool.kind === 'floor') {
    row.check = `the job's map alone, 1 thread: ${fixed(median(r.measured.map(m => m.wallSeconds)))} s`
    return row
  }
  const print = r.prints[r.prints.length - 1]!
  const checks: string[] = []
  if (r.prints.some(p => p.md5 !== print.md5)) checks.push('**UNSTABLE** (outputs differ between runs)')
  if (expected.print === undefined) {
    checks.push(`unchecked: no reference (${expected.from})`)
  } else if (print.md5 === expected.print.md5) {
    checks.push(tool.reference ? 'ok (reference)' : 'ok')
  } else {
    checks.push(`**MISMATCH** (${print.lines} lines, expected ${expected.print.lines})`)
    notes.push(`**${tool.name}: output differs from ${expected.from}** (normalized outputs: \`${withoutRoot(expected.print.normalized)}\` vs \`${withoutRoot(print.normalized)}\`). First differences (\`<\` expected, \`>\` ${tool.name}):\n\n\`\`\`\n${firstDifferences(expected.print.normalized, print.normalized)}\n\`\`\``)
  }
  if (tool.mustBeSorted === true && !print.wasSorted) {
    const content = checks.pop()
    checks.push(content === 'ok' ? '**NOT SORTED** (content ok)' : `**NOT SORTED**, ${content}`)
    notes.push(`**${tool.name}: output is not in ascending key order** (\`LC_ALL=C sort -c\` fails on it).`)
  }
  const bound = tool.memoryBound?.({ input: 'INPUT', memory: opts.memory, memoryBytes: opts.memoryBytes, tmpDir: 'TMP' })
  if (bound !== undefined && row.peakRss! > bound) {
    checks.push(`**OVER THE MEMORY BOUND** (peak ${(row.peakRss! / MiB).toFixed(0)} MB, bound ${(bound / MiB).toFixed(0)} MB)`)
    notes.push(`**${tool.name}: peak RSS ${(row.peakRss! / MiB).toFixed(0)} MB is over the bound docs/memory.md states, ${(bound / MiB).toFixed(0)} MB** (--memory + 100 MB + 50 MB a worker).`)
  }
  row.check = checks.join(', ')
  row.problem = checks.some(c => c.startsWith('**'))
  return row
}

async function runScenario (scenario: Scenario, index: number, opts: Options): Promise<ScenarioResult> {
  log(`\n== ${index + 1}. ${scenario.title} (${scenario.name})`)
  const input = prepareInput(scenario.data, opts)
  const inputBytes = statSync(input).size
  const dir = join(OUT_DIR, scenario.name)
  const tmpDir = join(OUT_DIR, 'tmp')
  rmSync(tmpDir, { recursive: true, force: true })
  mkdirSync(tmpDir, { recursive: true })
  mkdirSync(dir, { recursive: true })
  const ctx: ToolContext = { input, memory: opts.memory, memoryBytes: opts.memoryBytes, tmpDir }
  const sortKb = Math.round(opts.memoryBytes / 1024)
  const timeoutSeconds = opts.timeoutSeconds ?? Math.round(120 + 2 * inputBytes / MiB)

  const tools = toolsFor(scenario)
  const runnable = tools.filter(t => t.skip === undefined)
  for (const t of tools) if (t.skip !== undefined) log(`  ${t.name.padEnd(30)} ${t.skip.cell}`)
  const runs = new Map<string, ToolRuns>(runnable.map(t => [t.id, { measured: [], prints: [] }]))
  for (let rep = 0; rep < opts.repeat; rep++) {
    // Alternate the order between repeats and scenarios, so no tool always runs first (cold
    // cache) or right after the heaviest one.
    const order = (rep + index) % 2 === 0 ? runnable : [...runnable].reverse()
    for (const tool of order) {
      warm(input)
      const { measured, output } = await runTool(tool, ctx, dir, timeoutSeconds)
      log(progressLine(tool, measured, inputBytes))
      const r = runs.get(tool.id)!
      r.measured.push(measured)
      if (failed(measured)) {
        log(indent(measured.stderrHead || '(no stderr)', '      | '))
      } else if (tool.kind !== 'floor') {
        try {
          r.prints.push(await fingerprint(output, tool.normalize, sortKb, tmpDir))
        } catch (e) {
          r.checkError = (e as Error).message
          log(`      | output check failed: ${r.checkError}`)
        }
      }
      removeScratch(tmpDir)
    }
  }

  const notes: string[] = []
  const expected = expectedPrint(tools, runs)
  const rows = tools.map(tool => rowFor(tool, runs.get(tool.id), expected, inputBytes, opts, notes, timeoutSeconds))
  return { scenario, inputBytes, rows, notes }
}

function fixed (n: number | undefined): string {
  return n === undefined ? '-' : n.toFixed(2)
}

/**
 * Reads a tool's input once before its run, so that every tool starts with it in the page
 * cache: the machine this was measured on kept only about 2.5 GB cached, and a run after one
 * that wrote gigabytes of temp files read its input from disk (1 GiB logs: 1.2 s of a worker's
 * 4.4 s in read).
 */
function warm (file: string): void {
  const buf = Buffer.allocUnsafe(MiB)
  const fd = openSync(file, 'r')
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    closeSync(fd)
  }
}

/** Empties the shared scratch dir between runs (a crashed tool may leave spill files). */
function removeScratch (tmpDir: string): void {
  rmSync(tmpDir, { recursive: true, force: true })
  mkdirSync(tmpDir, { recursive: true })
}

function unbold (text: string): string {
  return text.replaceAll('**', '')
}

/** Paths relative to the repository, for the report. */
function withoutRoot (text: string): string {
  return text.replaceAll(`${ROOT}/`, '')
}

function indent (text: string, prefix: string): string {
  return text.split('\n').map(l => prefix + l).join('\n')
}

/** "DuckDB: skipped: not installed (...)", once per peer that is not installed. */
function skippedPeers (scenarios: Scenario[]): string[] {
  const lines = new Set<string>()
  for (const scenario of scenarios) {
    for (const t of toolsFor(scenario)) if (t.skip !== undefined && t.skip.message !== t.skip.cell) lines.add(`${t.name}: ${t.skip.message}`)
  }
  return [...lines]
}

async function main (): Promise<number> {
  const opts = parseOptions(process.argv.slice(2))
  const missing = missingPrerequisites()
  if (missing.length > 0) {
    for (const m of missing) console.error(`bench: ${m}`)
    return 1
  }
  const machine = describeMachine()
  log(`mrstream benchmarks: ${opts.size} per scenario, --memory ${opts.memory}, repeat ${opts.repeat}, seed ${opts.seed}`)
  log(`${machineLine(machine)}; ${machine.tools.join('; ')}`)
  const selected = SCENARIOS.filter(s => opts.only.includes(s.name))
  const skipped = skippedPeers(selected)
  for (const line of skipped) log(line)
  const results: ScenarioResult[] = []
  const args = process.argv.slice(2)
  const settings = { size: opts.size, memory: opts.memory, repeat: opts.repeat, seed: opts.seed, skipped, command: `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}` }
  const suffix = opts.sizeBytes === parseSize(DEFAULT_SIZE) ? '' : `-${formatSize(opts.sizeBytes)}`
  const markdown = `RESULTS${suffix}.md`
  const svg = `results${suffix}.svg`
  for (const [i, scenario] of selected.entries()) {
    const result = await runScenario(scenario, i, opts)
    results.push(result)
    log(`\n${scenarioHeading(result, i)}\n\n${scenarioTable(result)}`)
    for (const note of result.notes) log(`\n${note}`)
    // written after every scenario, so a long run that is stopped keeps what it measured
    const partial = results.length < selected.length ? `${results.length} of ${selected.length} scenarios so far` : undefined
    writeFileSync(join(BENCH_DIR, markdown), resultsMarkdown(results, machine, { ...settings, partial }, svg))
    writeFileSync(join(BENCH_DIR, svg), resultsSvg(results, machine))
    writeFileSync(join(OUT_DIR, `results${suffix}.json`), JSON.stringify({ machine, settings, results }, null, 1))
  }
  rmSync(join(OUT_DIR, 'tmp'), { recursive: true, force: true })
  log(`\n${summaryTables(results)}`)
  log(`\nwrote benchmarks/${markdown} and benchmarks/${svg}`)

  const problems = results.flatMap(r => problemsOf(r).map(row => `${r.scenario.name}: ${row.tool}: ${unbold(row.check)}`))
  const peerFailures = results.flatMap(r => r.rows.filter(row => row.kind === 'peer' && row.problem && !row.check.includes('MISMATCH')).map(row => `${r.scenario.name}: ${row.tool}: ${unbold(row.check)}`))
  for (const p of peerFailures) log(`peer failed (reported in the table): ${p}`)
  if (problems.length > 0) {
    log(`\n!! ${problems.length} problem(s):`)
    for (const p of problems) log(`!!   ${p}`)
    return 1
  }
  return 0
}

process.exitCode = await main()
