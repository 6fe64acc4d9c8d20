// Limits a long job meets: more run files than `ulimit -n` allows open, and one value bigger
// than msgpackr's stream limit (64 MB) crossing a spill.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { writeFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../dist/bin/mrstream.js', import.meta.url))
const corpus = fileURLToPath(new URL('./fixtures/gutenberg/', import.meta.url))
// tap puts its loaders back into NODE_OPTIONS of every child; `env -u` keeps them out of ours
const env = process.env

t.test('more runs than ulimit -n 64 still merge (bounded fan-in, extra passes)', async t => {
  const dir = t.testdir()
  const files = readdirSync(corpus).filter(f => f.endsWith('.txt')).map(f => join(corpus, f))
  const job = join(dir, 'wc.mjs')
  writeFileSync(job, 'export function map (l, emit) { for (const w of l.split(/\\s+/)) if (w) emit(w, 1) }\nexport function reduce (k, vs) { let n = 0; for (const v of vs) n += v; return n }\n')
  const stats = join(dir, 'stats.json')
  const quoted = files.map(f => `'${f}'`).join(' ')
  const run = (limit: string): ReturnType<typeof spawnSync> => spawnSync('bash', ['-c', `${limit} exec env -u NODE_OPTIONS '${process.execPath}' '${bin}' --job '${job}' --memory 64KB --workers 2 --tmp-dir '${dir}' --stats '${stats}' -q ${quoted}`], { env, maxBuffer: 1 << 28 })
  const limited = run('ulimit -n 64;')
  t.equal(limited.status, 0, String(limited.stderr))
  const { counters } = JSON.parse((await import('node:fs')).readFileSync(stats, 'utf8'))
  t.ok(counters.spills > 64, `${counters.spills} runs written`)
  t.ok(counters.mergePasses >= 1, `${counters.mergePasses} merge passes`)
  const free = run('')
  t.equal(Buffer.compare(limited.stdout as Buffer, free.stdout as Buffer), 0, 'same output without the limit')
})

t.test('a single value over 64 MB survives a spill', async t => {
  const dir = t.testdir()
  const job = join(dir, 'big.mjs')
  writeFileSync(job, "export function map (line, emit) { emit('k', 'x'.repeat(70 * 1024 * 1024) + line); emit('k', line) }\nexport function reduce (k, vs) { const out = []; for (const v of vs) out.push(v.length, v.slice(-1)); return out }\n")
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, bin, '--job', job, '--memory', '1MB', '--workers', '1', '--tmp-dir', dir, '-q'], { input: 'a\nb\n', env, maxBuffer: 1 << 20 })
  t.equal(r.status, 0, String(r.stderr))
  const n = 70 * 1024 * 1024 + 1
  t.equal(String(r.stdout), `k\t[${n},"a",1,"a",${n},"b",1,"b"]\n`)
})
