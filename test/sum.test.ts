// -r sum over floats, end to end: the output is the exact sum of each key's values rounded once
// (test/helpers/exact-sum.ts), the same bytes whatever --workers, --memory and --fan-in make of
// the combines (none, at spills, in merge passes), from a file or stdin, and through the Hadoop
// Streaming commands (map | sort | combine per map task | sort | reduce). Float addition in input
// order, or in any other one order, gives other last digits.
import t, { type Test } from 'tap'
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { shell, spawnCli } from './helpers/cli.js'
import { exactSum } from './helpers/exact-sum.js'

/** `-r sum` over in.txt (or stdin) in dir, with a fresh --tmp-dir checked empty after. */
async function sum (t: Test, dir: string, settings: string[], stdin?: string): Promise<string> {
  const tmp = mkdtempSync(join(dir, 'tmp-'))
  const map = '(l, emit) => { const [k, v] = l.split(" "); emit(k, Number(v)) }'
  const r = await spawnCli(['-m', map, '-r', 'sum', '-q', ...settings, '--tmp-dir', tmp, stdin === undefined ? 'in.txt' : '-'], dir, { stdin })
  t.equal(r.code, 0, r.stderr)
  t.same(readdirSync(tmp), [], '--tmp-dir is empty after')
  return r.stdout
}

t.test('-r sum over floats is the exact sum rounded once, for any --workers, --memory and --fan-in, and streamed', async t => {
  let x = 7
  const next = (): number => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x / 2 ** 32 }
  const byKey = new Map<string, number[]>()
  const lines: string[] = []
  for (let i = 0; i < 20_000; i++) {
    const k = `k${Math.floor(next() * 5)}`
    // magnitudes from 1e-10 to 1e19, both signs, and tenths (0.1 has no exact float)
    const v = i % 3 === 0 ? Math.round(next() * 100) / 10 : (next() - 0.5) * 10 ** Math.floor(next() * 30 - 10)
    lines.push(`${k} ${v}`)
    byKey.set(k, [...(byKey.get(k) ?? []), v])
  }
  const input = lines.join('\n') + '\n'
  const want = [...byKey.keys()].sort().map(k => `${k}\t${exactSum(byKey.get(k)!)}\n`).join('')
  const naive = [...byKey.keys()].sort().map(k => `${k}\t${byKey.get(k)!.reduce((a, b) => a + b, 0)}\n`).join('')
  t.not(naive, want, 'the input is one that float addition in input order gets wrong')

  const dir = t.testdir({ 'in.txt': input })
  t.equal(await sum(t, dir, ['--workers', '1']), want, 'one worker, no spill')
  t.equal(await sum(t, dir, ['--workers', '3', '--memory', '64KB', '--fan-in', '2']), want, 'three workers, spills, merge passes')
  t.equal(await sum(t, dir, ['--workers', '2', '--memory', '64KB'], input), want, 'stdin, spills')

  // the streaming commands: two map tasks, each one's output sorted and combined, then reduced
  writeFileSync(join(dir, 'sum.mjs'), `import { sum } from 'mrstream'
export function map (l, emit) { const [k, v] = l.split(' '); emit(k, Number(v)) }
export const reduce = sum
export const combine = sum
`)
  writeFileSync(join(dir, 'a.txt'), lines.slice(0, 8_000).join('\n') + '\n')
  writeFileSync(join(dir, 'b.txt'), lines.slice(8_000).join('\n') + '\n')
  const task = (input: string): string => `mrs map --job sum.mjs -q < ${input} | sort -t$'\\t' -k1,1 | mrs combine --job sum.mjs -q`
  const streamed = await shell(`{ ${task('a.txt')}; ${task('b.txt')}; } | sort -t$'\\t' -k1,1 | mrs reduce --job sum.mjs -q`, dir)
  t.equal(streamed.code, 0, streamed.stderr)
  t.equal(streamed.stdout, want, 'streaming commands with a combine per map task')
})

t.test("a map's value in the form of sum's own partial sums is refused, not added", async t => {
  // sum hands partial sums on as ["mrstream.sum", ...]: one a map emits would be read as such
  // (3 here), where any other array with a string is refused
  const dir = t.testdir({ 'in.txt': 'a\nb\na\n' })
  writeFileSync(join(dir, 'forged.mjs'), `import { sum } from 'mrstream'
export function map (l, emit) { emit(l, l === 'b' ? ['mrstream.sum', 1, 2] : 1) }
export const reduce = sum
`)
  const want = /^mrstream: map at (in\.txt|-):2: \["mrstream\.sum",1,2\] has the form of sum's own partial sums .*\n$/
  const runs = [['-m', "(l, emit) => emit(l, l === 'b' ? ['mrstream.sum', 1, 2] : 1)", '-r', 'sum'], ['--job', 'forged.mjs']]
  for (const [what, job] of [['-r sum (its combine too)', runs[0]!], ['reduce = sum, no combine', runs[1]!]] as const) {
    const r = await spawnCli([...job, '--workers', '1', 'in.txt'], dir)
    t.same([r.code, r.stdout], [1, ''], `${what}: exit 1, no output`)
    t.match(r.stderr, want)
  }
  const streamed = await shell('mrs map --job forged.mjs < in.txt', dir)
  t.same([streamed.code, streamed.stdout], [1, ''], 'mrstream map: exit 1, no pairs')
  t.match(streamed.stderr, want)
})
