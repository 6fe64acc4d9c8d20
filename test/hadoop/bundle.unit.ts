// A job's bundle (`mrstream hadoop` writes it, -files ships it): with only node, in a directory
// that holds nothing else, `node job.bundle.mjs map|combine|reduce` prints what the installed
// `mrstream map|combine|reduce --job` prints, for jobs in TypeScript and CommonJS that import
// their own modules, a package and 'mrstream'; errors name the job's own code; under the
// simulator a combiner over many spills and ndjson output give the local run's output.
import t from 'tap'
import { spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnCli } from '../helpers/cli.js'
import { built, countersOf, runJobs, runLocal, scratchDir, sortedLines, taskEnv } from '../helpers/hadoop.js'

/** Runs `command` with `stdin` in `cwd`, PATH holding only node (and sh's basics). */
interface Ran { code: number | null, stdout: Buffer, stderr: string }

function run (command: string[], cwd: string, stdin: string | Buffer, env: Record<string, string>): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.stdin.on('error', () => {})
    child.on('error', reject)
    child.on('close', code => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }))
    child.stdin.end(stdin)
  })
}

/** The protocol lines of `stdout`, sorted as Hadoop's shuffle sorts them (by key, in byte order; a stable sort). */
function shuffle (stdout: Buffer): string {
  const lines = stdout.toString('utf8').split('\n').filter(Boolean)
  const key = (l: string): Buffer => Buffer.from(l.slice(0, l.indexOf('\t')))
  return lines.map((l, i) => [l, i] as const).sort(([a, i], [b, j]) => Buffer.compare(key(a), key(b)) || i - j).map(([l]) => l + '\n').join('')
}

const jobFiles = {
  // TypeScript, a helper module of its own, a package from node_modules, mrstream's sum
  'ts/job.ts': `import { sum } from 'mrstream'
import { words } from './words.ts'
import pad from 'padder'
export function map (line: string, emit: (k: unknown, v: unknown) => void): void { for (const w of words(line)) emit(pad(w), 1) }
export const reduce = sum
export const combine = sum
`,
  'ts/words.ts': 'export const words = (line: string): string[] => line.split(/\\s+/).filter(w => w !== \'\')\n',
  'ts/node_modules/padder/package.json': '{ "name": "padder", "version": "1.0.0", "main": "index.js" }\n',
  'ts/node_modules/padder/index.js': 'module.exports = function pad (s) { return s.length < 3 ? s + "_".repeat(3 - s.length) : s }\n',
  // CommonJS requiring a module of its own; values JSON cannot carry (a Map, -0, bigint)
  'cjs/job.cjs': `const { shape } = require('./shape.cjs')
module.exports = {
  map (line, emit, ctx) { emit(line.length % 3, shape(line, ctx.line)) },
  reduce (k, values) { const out = []; for (const v of values) out.push(v.get('n')); return out.sort((a, b) => a < b ? -1 : 1).map(String) },
}
`,
  'cjs/shape.cjs': 'exports.shape = (line, n) => new Map([["n", BigInt(n) * 10n ** 20n], ["z", -0], ["line", line]])\n',
}

t.test('the bundle, alone with node, prints what the installed commands print', async t => {
  const dir = scratchDir(t)
  for (const [name, text] of Object.entries(jobFiles)) {
    mkdirSync(join(dir, name, '..'), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  const input = Array.from({ length: 300 }, (_, i) => `w${i % 7} ab ${'é'.repeat(i % 4)} x${i % 11}`).join('\n') + '\nlast\tline\r\n'
  const env = { PATH: taskEnv(dir).PATH, HOME: dir }
  for (const job of ['ts/job.ts', 'cjs/job.cjs']) {
    // the CLI writes the bundle where -files names it, even with --dry-run
    const dry = await spawnCli(['hadoop', '--job', job, '--input', 'in', '--output', 'out', '--dry-run', '--bundle', `${job}.bundle.mjs`], dir)
    t.equal(dry.code, 0, dry.stderr)
    t.match(dry.stdout, new RegExp(`-files ${job}\\.bundle\\.mjs`), `${job}: -files names the bundle`)
    const task = join(dir, `task-${job.replace('/', '-')}`)
    mkdirSync(task)
    copyFileSync(join(dir, `${job}.bundle.mjs`), join(task, 'job.bundle.mjs'))
    const bundle = (phase: string, stdin: string | Buffer): Promise<Ran> => run(['node', 'job.bundle.mjs', phase], task, stdin, env)
    const installed = (phase: string, stdin: string | Buffer): Promise<Ran> => run(['mrstream', phase, '--job', job], dir, stdin, env)
    const mapped = [await bundle('map', input), await installed('map', input)]
    t.equal(mapped[0]!.code, 0, mapped[0]!.stderr)
    t.equal(mapped[0]!.stdout.toString(), mapped[1]!.stdout.toString(), `${job}: map`)
    t.equal(mapped[0]!.stderr, mapped[1]!.stderr, `${job}: map's counters`)
    const sorted = shuffle(mapped[0]!.stdout)
    for (const phase of ['combine', 'reduce']) {
      const [b, i] = [await bundle(phase, sorted), await installed(phase, sorted)]
      t.equal(b.code, 0, b.stderr)
      t.ok(b.stdout.length > 0, `${job}: ${phase} wrote something`)
      t.equal(b.stdout.toString(), i.stdout.toString(), `${job}: ${phase}`)
      t.equal(b.stderr, i.stderr, `${job}: ${phase}'s counters`)
    }
  }
  const ts = readFileSync(join(dir, 'ts/job.ts.bundle.mjs'), 'utf8')
  t.match(ts, /\/\/# mrstream-engine-lines=\d+-\d+(,\d+-\d+)*\n$/, 'the engine\'s lines on the last line')
  t.notMatch(ts, /from ["']mrstream["']|require\(["'](mrstream|padder|msgpackr|csv-parse)["']\)/, 'nothing left to find on the task node')
})

t.test('errors from a bundle name the job\'s code, never the engine\'s; its command line', async t => {
  const dir = scratchDir(t)
  writeFileSync(join(dir, 'boom.mjs'), `function check (line) { if (line === 'boom') throw new Error('no boom') }
export function map (line, emit) { check(line); emit(line, 1) }
export function reduce (k, vs) { return 1 }
`)
  const dry = await spawnCli(['hadoop', '--job', 'boom.mjs', '--input', 'in', '--output', 'out', '--dry-run', '-q'], dir)
  t.equal(dry.code, 0, dry.stderr)
  t.equal(dry.stderr, '', '-q: no note')
  const env = { PATH: taskEnv(dir).PATH, HOME: dir }
  const failed = await run(['node', 'boom.bundle.mjs', 'map'], dir, 'a\nboom\n', env)
  t.equal(failed.code, 1)
  t.match(failed.stderr, /^mrstream: map failed at -:2: Error: no boom\n {4}at check \(file:\/\/\S+boom\.bundle\.mjs:\d+:\d+\)\n {4}at (Object\.|Module\.)?map \(/, 'the job\'s frames')
  t.notMatch(failed.stderr, /mapCommand|runStreamingCommand|streamingCommand/, 'no engine frame')
  const usage = await run(['node', 'boom.bundle.mjs'], dir, '', env)
  t.equal(usage.code, 2)
  t.match(usage.stderr, /mrstream: no phase: give map, combine or reduce\nTry node BUNDLE --help\./)
  const help = await run(['node', 'boom.bundle.mjs', '--help'], dir, '', env)
  t.equal(help.code, 0)
  t.match(help.stdout, /^Usage: node BUNDLE map\|combine\|reduce/)
  t.match(help.stdout, /the job boom\.mjs/)
  const job = await run(['node', 'boom.bundle.mjs', 'map', '--job', 'other.mjs'], dir, '', env)
  t.equal(job.code, 2)
  t.match(job.stderr, /--job: this bundle's job is built in \(boom\.mjs\)/)
})

t.test('under the simulator: a combiner over many spills, merged spills combined again; ndjson output', async t => {
  const dir = scratchDir(t)
  const job = join(dir, 'count.mjs')
  writeFileSync(job, `export function map (line, emit, ctx) { for (const w of line.split(' ')) if (w) { ctx.count('words'); emit(w, 1) } }
export function reduce (k, vs, emit, ctx) { ctx.count('keys, reduced'); let n = 0; for (const v of vs) n += v; emit(k, 'n=' + n); return { n } }
export function combine (k, vs) { let n = 0; for (const v of vs) n += v; return n }
`)
  const input = join(dir, 'in.txt')
  writeFileSync(input, Array.from({ length: 400 }, (_, i) => `w${i % 17} x${i % 5} y`).join('\n') + '\n')
  const { bundleJob, streamingJobs, loadSteps } = await built()
  await bundleJob(job, join(dir, 'count.bundle.mjs'))
  const steps = await loadSteps({ file: job })
  for (const outputFormat of ['tsv', 'ndjson'] as const) {
    const local = await runLocal(job, [input], dir, ['--output-format', outputFormat])
    const plan = streamingJobs({ steps, jobFile: job, ship: join(dir, 'count.bundle.mjs'), node: 'node', inputs: [input], output: join(dir, `out-${outputFormat}`), reducers: 2, defines: ['mapreduce.job.maps=1'], format: undefined, outputFormat, maxBadRecords: 0, maxLineBytes: undefined })
    const sim = await runJobs(plan.jobs, { cwd: dir, env: taskEnv(dir), valueOrder: 'any', seed: 3, spillRecords: outputFormat === 'tsv' ? 300 : undefined })
    t.strictSame(sortedLines(sim.output), sortedLines(local.output), `${outputFormat}: the local output's lines`)
    const c = countersOf(sim, local)
    t.strictSame(c.hadoop, c.local, `${outputFormat}: counters (a job counter's comma made a space)`)
    if (outputFormat === 'tsv') {
      t.ok((sim.counters.mrstream?.['keys combined'] ?? 0) > 0, 'the combiner ran')
      t.equal(sim.processes, 1 + 4 * 2 + 2 + 2, '1 map task, 4 spills of 300 pairs combined per partition, merged and combined again, 2 reducers')
    } else {
      t.notMatch(sim.output.toString(), /\t/, 'ndjson lines without the tab TextOutputFormat adds to a line without one')
    }
  }
})
