// Result tables (console and RESULTS.md) and a hand-made SVG bar chart of MB/s.
import { formatSize } from './gen.js'
import { machineLine, type Machine } from './machine.js'
import type { Scenario, ToolKind } from './scenarios.js'

const MiB = 1 << 20

export interface Row {
  /** The tool's id (scenarios.ts), e.g. "mrstream-w1", "duckdb". */
  id: string
  tool: string
  kind: ToolKind
  inputBytes: number
  /** Medians over the repeats (the floor's: its one-thread time divided by the workers); undefined when the tool did not run. */
  wallSeconds?: number
  cpuSeconds?: number
  /** The largest peak RSS over the repeats, in bytes. */
  peakRss?: number
  /** Ran to the end with exit code 0 (its output may still be wrong: see `check`). */
  succeeded: boolean
  /** "ok", "ok (reference)", "**MISMATCH** ...", "**FAILED** (exit 1)", "skipped: ..." */
  check: string
  /** A wrong or failed result: shown loudly. */
  problem: boolean
  /** The row the ratio column divides (mrstream, default workers). */
  baseline: boolean
}

export interface ScenarioResult {
  scenario: Scenario
  inputBytes: number
  rows: Row[]
  /** Details under the table: stderr of failures, first differences of mismatches. */
  notes: string[]
}

export interface RunSettings {
  size: string
  memory: string
  repeat: number
  seed: number
  /** Peers that could not run at all, with how to install them. */
  skipped: string[]
  command: string
  /** Set while a run is still going: how far it got. */
  partial?: string | undefined
}

function mbPerSecond (row: Row): number | undefined {
  if (!row.succeeded || row.wallSeconds === undefined) return undefined
  return row.inputBytes / MiB / row.wallSeconds
}

function seconds (row: Row | undefined): number | undefined {
  return row === undefined || !row.succeeded ? undefined : row.wallSeconds
}

/** a / b to 2 decimals, or '-'. */
function ratio (a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || b === 0 ? '-' : (a / b).toFixed(2)
}

function fixed (n: number | undefined, digits: number): string {
  return n === undefined ? '-' : n.toFixed(digits)
}

function cell (text: string): string {
  return text.replaceAll('|', '\\|') // a bare | would end the Markdown cell
}

function tableRows (result: ScenarioResult): string[][] {
  const base = seconds(result.rows.find(r => r.baseline))
  const header = ['tool', 'wall s', 'MB/s', 'mrstream / tool', 'peak RSS MB', 'CPU s', 'output check']
  const rows = result.rows.map(r => [
    cell(r.tool),
    fixed(r.wallSeconds, 2),
    fixed(mbPerSecond(r), 1),
    ratio(base, seconds(r)),
    r.peakRss === undefined ? '-' : (r.peakRss / MiB).toFixed(0),
    fixed(r.cpuSeconds, 2),
    r.check,
  ])
  return [header, ...rows]
}

/** A Markdown table with padded columns, readable as plain text too; columns `numeric` right-aligned. */
function markdownTable (cells: string[][], numeric: (c: number) => boolean): string {
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map(row => row[c]!.length)))
  const line = (row: string[]): string => '| ' + row.map((text, c) => (numeric(c) ? text.padStart(widths[c]!) : text.padEnd(widths[c]!))).join(' | ') + ' |'
  const rule = '|' + widths.map((w, c) => (numeric(c) ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|'
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join('\n')
}

export function scenarioHeading (result: ScenarioResult, index: number): string {
  const s = result.scenario
  return `${index + 1}. ${s.title} (\`${s.name}\`: ${s.data}, ${formatSize(result.inputBytes)}, job ${s.job})`
}

export function scenarioTable (result: ScenarioResult): string {
  return markdownTable(tableRows(result), c => c >= 1 && c <= 5)
}

/** What fails the run: mrstream's failures and every wrong output; a peer that fails (out of memory, say) is a result. */
export function problemsOf (result: ScenarioResult): Row[] {
  return result.rows.filter(r => r.problem && (r.kind !== 'peer' || !/FAILED\*\*|TIMEOUT/.test(r.check) || r.check.includes('CHECK FAILED')))
}

const PEER_COLUMNS: Array<{ id: string, name: string }> = [
  { id: 'sort', name: 'GNU sort pipeline' },
  { id: 'mawk', name: 'mawk' },
  { id: 'node-map', name: 'node Map' },
  { id: 'node-fast', name: 'node by hand' },
  { id: 'duckdb', name: 'DuckDB' },
  { id: 'polars', name: 'Polars' },
  { id: 'chdb', name: 'chDB' },
]

/**
 * Two tables over all scenarios: mrstream against its floor and one worker, then every peer's
 * time with mrstream's time over it in brackets (above 1: the peer is faster).
 */
export function summaryTables (results: ScenarioResult[]): string {
  const find = (r: ScenarioResult, id: string): Row | undefined => r.rows.find(row => row.id === id)
  const engine = [['scenario', 'MB', 'mrstream s', 'MB/s', 'peak RSS MB', 'floor s', 'engine overhead', '--workers 1 s', 'w1 / w2', 'w1 overhead', 'tuned job s']]
  const peers = [['scenario', 'mrstream s', ...PEER_COLUMNS.map(p => `${p.name} s (mrstream / it)`)]]
  for (const r of results) {
    const m = find(r, 'mrstream')
    const ms = seconds(m)
    const floor = seconds(find(r, 'floor'))
    const w1 = seconds(find(r, 'mrstream-w1'))
    const tuned = find(r, 'mrstream-tuned')
    const workers = Number(/÷ (\d+)/.exec(find(r, 'floor')?.tool ?? '')?.[1] ?? 1)
    engine.push([
      r.scenario.name,
      (r.inputBytes / MiB).toFixed(0),
      m?.succeeded === true ? fixed(ms, 2) : unbold(m?.check ?? '-'),
      fixed(m === undefined ? undefined : mbPerSecond(m), 1),
      m?.peakRss === undefined ? '-' : (m.peakRss / MiB).toFixed(0),
      fixed(floor, 2),
      ratio(ms, floor),
      fixed(w1, 2),
      ratio(w1, ms),
      ratio(w1, floor === undefined ? undefined : floor * workers),
      tuned === undefined ? 'n/a' : fixed(seconds(tuned), 2),
    ])
    peers.push([r.scenario.name, fixed(ms, 2), ...PEER_COLUMNS.map(p => {
      const row = find(r, p.id)
      if (row === undefined) return 'n/a'
      if (!row.succeeded) return cell(unbold(row.check).replace(/ \(.*$/, ''))
      return `${fixed(row.wallSeconds, 2)} (${ratio(ms, row.wallSeconds)})`
    })])
  }
  // CPU seconds: on a shared machine, less distorted by others' load than wall time
  const cpuIds = ['mrstream', 'mrstream-w1', 'floor', ...PEER_COLUMNS.map(p => p.id)]
  const cpu = [['scenario', 'mrstream', '--workers 1', 'floor (1 thread)', ...PEER_COLUMNS.map(p => p.name)]]
  for (const r of results) {
    cpu.push([r.scenario.name, ...cpuIds.map(id => {
      const row = find(r, id)
      return row === undefined || !row.succeeded ? '-' : fixed(row.cpuSeconds, 2)
    })])
  }
  return [
    markdownTable(engine, c => c >= 1),
    '',
    markdownTable(peers, c => c >= 1),
    '',
    'CPU seconds (user + system, medians):',
    '',
    markdownTable(cpu, c => c >= 1),
  ].join('\n')
}

function unbold (text: string): string {
  return text.replaceAll('**', '')
}

export function resultsMarkdown (results: ScenarioResult[], machine: Machine, settings: RunSettings, svg: string): string {
  const out: string[] = []
  out.push('# mrstream benchmark results', '')
  out.push(`Generated by \`${settings.command}\` on ${machine.date}${settings.partial === undefined ? '' : ` (${settings.partial})`}.`, '')
  out.push(`- Machine: ${machineLine(machine)}`)
  out.push(`- Peers: ${machine.tools.join('; ')}`)
  for (const line of settings.skipped) out.push(`- ${line}`)
  out.push(`- Input: ${settings.size} per scenario (MB = 2^20 bytes), seed ${settings.seed}`)
  out.push(`- Memory: mrstream \`--memory ${settings.memory}\`; GNU sort \`-S\`, DuckDB \`memory_limit\` and chDB \`max_memory_usage\` the same; mawk, node and Polars have no bound. Every mrstream run's peak RSS is checked against the bound it states (\`--memory\` + 100 MB + 50 MB a worker)`)
  out.push(`- Each run is a fresh process under \`/usr/bin/time -v\`; tools run in alternating order; ${settings.repeat === 1 ? 'one run each' : `median of ${settings.repeat} runs (peak RSS: the largest)`}`)
  out.push('')
  out.push('*floor*: the job\'s own map alone on one thread (read the file, cut lines, call `map` with an')
  out.push('emit that does nothing), divided by mrstream\'s workers; *engine overhead* is mrstream\'s time')
  out.push('over it (*w1 overhead*: `--workers 1` over the one-thread floor). *mrstream / it*: mrstream\'s')
  out.push('wall time over the peer\'s, so above 1 means the peer is faster. *peak RSS* is GNU time\'s')
  out.push('maximum resident set size of the largest process (pipeline stages are not summed). Every')
  out.push('output is normalized to `key<TAB>value` lines in `LC_ALL=C sort` order and checked by md5')
  out.push('against the GNU sort pipeline\'s.')
  out.push('')
  out.push(summaryTables(results), '')
  out.push(`![MB/s per tool and scenario](${svg})`, '')
  results.forEach((result, i) => {
    out.push(`## ${scenarioHeading(result, i)}`, '')
    out.push(result.scenario.description, '')
    out.push(scenarioTable(result), '')
    for (const note of result.notes) out.push(note, '')
  })
  return out.join('\n')
}

// ---------------------------------------------------------------------------------------------
// SVG: one group of horizontal bars per scenario, each group scaled to its fastest tool.

const WIDTH = 820
const LABEL = 210
const BAR = 460
const ROW = 20
const HEAD = 28

function escapeXml (s: string): string {
  return s.replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]!))
}

function barColor (row: Row): string {
  if (row.problem) return '#d64545'
  if (row.baseline) return '#2f6fb0'
  if (row.kind === 'mrstream') return '#7fb2e5'
  if (row.kind === 'floor') return '#e0b040'
  return '#9aa5b1'
}

export function resultsSvg (results: ScenarioResult[], machine: Machine): string {
  const parts: string[] = []
  let y = 50
  for (const [i, result] of results.entries()) {
    parts.push(`<text x="10" y="${y + 16}" font-weight="bold">${escapeXml(`${i + 1}. ${result.scenario.title} (${formatSize(result.inputBytes)})`)}</text>`)
    y += HEAD
    const max = Math.max(1e-9, ...result.rows.map(r => mbPerSecond(r) ?? 0))
    for (const row of result.rows) {
      const speed = mbPerSecond(row)
      parts.push(`<text x="${LABEL - 8}" y="${y + 14}" text-anchor="end">${escapeXml(row.tool)}</text>`)
      if (speed === undefined) {
        parts.push(`<text x="${LABEL}" y="${y + 14}" fill="${row.problem ? '#d64545' : '#777'}">${escapeXml(row.check.replaceAll('*', ''))}</text>`)
      } else {
        const w = Math.max(1, Math.round(speed / max * BAR))
        const label = `${speed.toFixed(1)} MB/s${row.problem ? ` ${row.check.replaceAll('*', '')}` : ''}`
        parts.push(`<rect x="${LABEL}" y="${y + 3}" width="${w}" height="${ROW - 6}" fill="${barColor(row)}"/>`)
        parts.push(`<text x="${LABEL + w + 6}" y="${y + 14}"${row.problem ? ' fill="#d64545"' : ''}>${escapeXml(label)}</text>`)
      }
      y += ROW
    }
    y += 10
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y + 10}" viewBox="0 0 ${WIDTH} ${y + 10}" font-family="sans-serif" font-size="12">`,
    '<rect width="100%" height="100%" fill="white"/>',
    '<text x="10" y="20" font-size="14" font-weight="bold">mrstream benchmarks: input MB per second (longer is faster; each scenario scaled to its fastest tool)</text>',
    `<text x="10" y="38" fill="#555">${escapeXml(`${machineLine(machine)}, ${machine.date.slice(0, 10)}`)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}
