// The library's benchmark: `npm run bench:api [-- options]`.
//
//   --size 128MB      word count input (Zipf words, benchmarks/gen.ts)
//   --rss-size 320MB  the slow-consumer pipeline's input (lines to sort)
//   --repeat 3        runs of each word count case, alternating; medians are reported
//   --memory 256MB    --memory / options.memory
//   --workers N       default: the number of CPUs
//
// Word count through mapReduce() fed by fs.createReadStream (bytes, format 'lines'), by an
// object-mode stream of strings, and by the bytes cut into lines by split2, against the
// command line on the same file, each run in a
// fresh process under /usr/bin/time -v, outputs checked equal; the object-mode overhead per
// record (its time less the bytes path's, and what producing the strings alone costs); and the
// peak RSS of a pipeline over --rss-size of lines, sorted, read by a slow consumer. Writes
// benchmarks/RESULTS-api.md.
import { createHash } from 'node:crypto'
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { ensureData, formatSize, parseSize } from './gen.js'
import { machineLine, describeMachine } from './machine.js'
import { measure, sh, type Measured } from './measure.js'
import { BENCH_DIR, JOBS_DIR, MRSTREAM_BIN, OUT_DIR, ROOT } from './paths.js'

const MiB = 1 << 20

function options (argv: string[]): { size: number, rssSize: number, repeat: number, memory: string, workers: number } {
  const o = { size: parseSize('128MB'), rssSize: parseSize('320MB'), repeat: 3, memory: '256MB', workers: availableParallelism() }
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]]
    if (value === undefined) throw new Error(`${name}: a value is missing`)
    if (name === '--size') o.size = parseSize(value)
    else if (name === '--rss-size') o.rssSize = parseSize(value)
    else if (name === '--repeat') o.repeat = Number(value)
    else if (name === '--memory') o.memory = value
    else if (name === '--workers') o.workers = Number(value)
    else throw new Error(`unknown option ${name}`)
  }
  return o
}

async function sha (file: string): Promise<string> {
  const h = createHash('sha256')
  for await (const b of createReadStream(file)) h.update(b as Buffer)
  return h.digest('hex')
}

async function lineCount (file: string): Promise<number> {
  let n = 0
  for await (const b of createReadStream(file)) for (let i = (b as Buffer).indexOf(10); i !== -1; i = (b as Buffer).indexOf(10, i + 1)) n++
  return n
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const o = options(process.argv.slice(2))
const runDir = join(OUT_DIR, 'api')
mkdirSync(runDir, { recursive: true })
const child = join(ROOT, 'dist', 'benchmarks', 'api-child.js')
const words = ensureData('words', o.size, 1)
const records = await lineCount(words)
// split2 is no dependency (docs/api.md says why): compared only where it is installed
const hasSplit2 = ((): boolean => { try { createRequire(import.meta.url).resolve('split2'); return true } catch { return false } })()
const cases: Record<string, (file: string) => string> = {
  cli: file => `node ${sh(MRSTREAM_BIN)} --job ${sh(join(JOBS_DIR, 'wordcount.mjs'))} --memory ${o.memory} --workers ${o.workers} -q ${sh(file)}`,
  bytes: file => `node ${sh(child)} bytes ${sh(file)} ${o.memory} ${o.workers}`,
  objects: file => `node ${sh(child)} objects ${sh(file)} ${o.memory} ${o.workers}`,
  ...(hasSplit2 ? { split2: (file: string) => `node ${sh(child)} split2 ${sh(file)} ${o.memory} ${o.workers}` } : {}),
  floor: file => `node ${sh(child)} floor ${sh(file)} ${o.memory} ${o.workers}`,
}

async function once (name: string, command: string, timeoutSeconds: number): Promise<Measured & { output: string }> {
  const output = join(runDir, `${name}.out`)
  const m = await measure({ command, stdout: output, stderr: join(runDir, `${name}.err`), timeFile: join(runDir, `${name}.time`), timeoutSeconds, cwd: ROOT })
  if (m.code !== 0) throw new Error(`${name} failed (exit ${m.code}${m.timedOut ? ', timed out' : ''}): ${m.stderrHead}`)
  return { ...m, output }
}

const timeout = 300 + 4 * o.size / MiB
const seen: Record<string, Measured[]> = { cli: [], bytes: [], objects: [], split2: [], floor: [] }
const digests = new Map<string, string>()
for (let r = 0; r < o.repeat; r++) {
  for (const name of Object.keys(cases)) {
    const m = await once(name, cases[name]!(words), timeout)
    seen[name]!.push(m)
    if (name !== 'floor') digests.set(name, await sha(m.output))
    process.stderr.write(`${name} #${r + 1}: ${m.wallSeconds.toFixed(2)} s wall, ${m.cpuSeconds.toFixed(2)} s CPU, ${(m.peakRss / MiB).toFixed(0)} MB peak RSS\n`)
  }
}
if (new Set(digests.values()).size !== 1) throw new Error(`outputs differ: ${JSON.stringify(Object.fromEntries(digests))}`)

const lines = ensureData('lines', o.rssSize, 1)
const memoryBytes = parseSize(o.memory)
const slow = await once('slow', `node ${sh(child)} slow ${sh(lines)} ${o.memory} ${o.workers}`, 1800 + 10 * o.rssSize / MiB)
const slowLines = await lineCount(lines)
const took = Number(readFileSync(slow.output, 'utf8').trim())
if (took !== slowLines) throw new Error(`the slow consumer took ${took} pairs of ${slowLines} lines`)

const wall = (name: string): number => median(seen[name]!.map(m => m.wallSeconds))
const cpu = (name: string): number => median(seen[name]!.map(m => m.cpuSeconds))
const rss = (name: string): number => Math.max(...seen[name]!.map(m => m.peakRss))
const ns = (seconds: number): string => (seconds * 1e9 / records).toFixed(0)
const bound = memoryBytes + 100 * MiB + 50 * MiB * o.workers
const rows = Object.keys(cases).map(name =>
  `| ${{ cli: 'command line (`mrstream --job`)', bytes: 'mapReduce(), createReadStream bytes, format \'lines\'', objects: 'mapReduce(), a stream of strings', split2: 'mapReduce(), createReadStream bytes through split2()', floor: 'the stream of strings alone' }[name]} | ${wall(name).toFixed(2)} | ${cpu(name).toFixed(2)} | ${(rss(name) / MiB).toFixed(0)} | ${name === 'floor' ? '' : (wall(name) / wall('cli')).toFixed(2) + 'x'} |`)
const report = `# The library's benchmark

\`npm run bench:api -- --size ${formatSize(o.size)} --rss-size ${formatSize(o.rssSize)} --repeat ${o.repeat} --memory ${o.memory} --workers ${o.workers}\`, ${machineLine(describeMachine())}.
Times are medians of ${o.repeat} alternating runs, each in a fresh process; peak RSS the largest.

## Word count, ${formatSize(o.size)} of Zipf words (${records.toLocaleString('en')} lines), benchmarks/jobs/wordcount.mjs

| how | wall s | CPU s | peak RSS MB | vs the command line |
| --- | ---: | ---: | ---: | ---: |
${rows.join('\n')}

Every output was the same bytes. The object-mode input costs ${ns(wall('objects') - wall('bytes'))} ns a record of wall time
over the bytes path (${ns(cpu('objects') - cpu('bytes'))} ns of CPU); making the strings and passing them through a Node
object-mode stream alone costs ${ns(wall('floor'))} ns a record (${ns(cpu('floor'))} ns of CPU).

## A slow consumer: ${formatSize(o.rssSize)} of lines sorted (${slowLines.toLocaleString('en')} pairs), read at most 200 pairs a millisecond

fs.createReadStream -> mapReduce(benchmarks/jobs/sort.mjs, { format: 'lines', memory: '${o.memory}' }) -> a slow Writable:
${slow.wallSeconds.toFixed(1)} s, peak RSS ${(slow.peakRss / MiB).toFixed(0)} MB; the bound (memory + 100 MB + 50 MB a worker) is ${(bound / MiB).toFixed(0)} MB.
`
writeFileSync(join(BENCH_DIR, 'RESULTS-api.md'), report)
process.stdout.write(report)
if (slow.peakRss > bound) process.exitCode = 1
