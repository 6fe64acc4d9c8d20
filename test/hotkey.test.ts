// One key with millions of values, no combiner, a small --memory: reduce's values stream from
// the runs (they never sit in memory together), and they arrive in input order.
import t from 'tap'
import { spawn } from './helpers/children.js'
import { cliArgv } from './helpers/cli.js'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
const N = Number(process.env.MRSTREAM_HOTKEY_VALUES ?? 3_000_000)

t.test(`one key with ${N} values under --memory 32MB`, async t => {
  const dir = t.testdir()
  const job = join(dir, 'hot.mjs')
  // reduce checks the order (values are the line numbers) and counts without keeping them
  writeFileSync(job, `
export function map (line, emit, ctx) { emit(line.length % 7 === 99 ? 'never' : 'hot', ctx.line) }
export function reduce (key, values) {
  let n = 0, prev = 0, ordered = true
  for (const v of values) { n++; if (v <= prev) ordered = false; prev = v }
  return { n, ordered }
}
`)
  // (without tap's NODE_OPTIONS, which would load its hooks and source maps into the run, as a user's has none)
  const [cmd, argv] = cliArgv(['--job', job, '--memory', '32MB', '--tmp-dir', dir, '--stats', join(dir, 'stats.json'), '-q'])
  const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] })
  const out: Buffer[] = []
  const err: Buffer[] = []
  child.stdout.on('data', (b: Buffer) => out.push(b))
  child.stderr.on('data', (b: Buffer) => err.push(b))
  const line = Buffer.from('x\n')
  const block = Buffer.concat(Array.from({ length: 65536 }, () => line))
  let sent = 0
  const feed = (): void => {
    while (sent < N) {
      const n = Math.min(65536, N - sent)
      sent += n
      if (!child.stdin.write(n === 65536 ? block : block.subarray(0, n * 2))) { child.stdin.once('drain', feed); return }
    }
    child.stdin.end()
  }
  feed()
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  t.equal(code, 0, Buffer.concat(err).toString())
  t.equal(Buffer.concat(out).toString(), `hot\t{"n":${N},"ordered":true}\n`)
  const { readFileSync } = await import('node:fs')
  const stats = JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf8'))
  t.ok(stats.counters.spills > 1, `values were spilled (${stats.counters.spills} spills)`)
})
