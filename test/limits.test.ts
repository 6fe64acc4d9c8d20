// Limits a long job meets: more runs than `ulimit -n` allows open, workers starting under
// a low `ulimit -n`, one value bigger than msgpackr's stream limit (64 MB) crossing a spill,
// records of tens of MB.
import t from 'tap'
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../dist/bin/mrstream.js', import.meta.url))
const corpus = fileURLToPath(new URL('./fixtures/gutenberg/', import.meta.url))
// tap puts its loaders back into NODE_OPTIONS of every child; `env -u` keeps them out of ours
const env = process.env

const COUNT = 'export function map (l, emit) { emit(l, 1) }\nexport function reduce (k, vs) { let n = 0; for (const v of vs) n += v; return n }\n'

/** mrstream with `args` (shell words) under `ulimit -n limit`, `input` on its stdin. */
function underLimit (limit: number, args: string, input: string): SpawnSyncReturns<Buffer> {
  return spawnSync('bash', ['-c', `ulimit -n ${limit}; exec env -u NODE_OPTIONS '${process.execPath}' '${bin}' ${args}`], { input, env })
}

/**
 * The run under the first of `limits` whose stderr says `says` (else under the last), and what
 * each run said: how many descriptors a start takes moves by one or two with Node's build.
 */
function firstSaying (limits: number[], says: string, args: string, input: string): { r: SpawnSyncReturns<Buffer>, tries: string } {
  const tries: string[] = []
  let r!: SpawnSyncReturns<Buffer>
  for (const limit of limits) {
    r = underLimit(limit, args, input)
    tries.push(`ulimit -n ${limit}: exit ${r.status} ${String(r.stderr).slice(0, 200)}`)
    if (String(r.stderr).includes(says)) break
  }
  return { r, tries: tries.join('\n') }
}

t.test('more runs than ulimit -n 64 still merge (bounded fan-in, extra passes)', async t => {
  const dir = t.testdir()
  // the three smallest books (0.7 MB): some 250 runs at 64KB, several times the limit (checked below)
  const files = readdirSync(corpus).filter(f => f.endsWith('.txt')).map(f => join(corpus, f)).sort((a, b) => statSync(a).size - statSync(b).size).slice(0, 3)
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

// Node's module loader holds each file open while it reads it, a module's imports all at once:
// six workers loading theirs together can find no descriptor left under ulimit -n 52 (at 46-50
// most starts do), where one at a time fit: the pool starts again, alone, a worker whose start
// met EMFILE. (At 23 even one worker alone cannot start: the next test.) Workers start as tasks
// wait for them: a file of six splits queues six tasks at once.
t.test('six workers start at once under ulimit -n 52', async t => {
  const dir = t.testdir({ 'in.txt': 'a\nb\na\n'.repeat(350_000) })
  const job = join(dir, 'count.mjs')
  writeFileSync(job, COUNT)
  const r = underLimit(52, `--job '${job}' --workers 6 --memory 16MB --tmp-dir '${dir}' -q '${join(dir, 'in.txt')}'`, '')
  t.equal(r.status, 0, String(r.stderr))
  t.equal(String(r.stdout), 'a\t700000\nb\t350000\n')
})

t.test('workers that find no file descriptor even alone: exit 2, saying to raise ulimit -n', async t => {
  const dir = t.testdir()
  const job = join(dir, 'count.mjs')
  writeFileSync(job, COUNT)
  const tmp = join(dir, 'tmp')
  mkdirSync(tmp)
  // The main thread starts with about 21 descriptors, a worker needs a few more: the first of
  // these limits (23 here) where no worker starts is the case. Above it a worker may start and
  // the job fail later (a spill that cannot open its run, exit 1): not this test's case.
  const { r, tries } = firstSaying([23, 25, 27, 22], 'a worker failed to start', `--job '${job}' --workers 2 --tmp-dir '${tmp}' -q`, 'a\nb\na\n')
  t.equal(r.status, 2, tries)
  t.match(String(r.stderr), /^mrstream: a worker failed to start: .*EMFILE.*\(too many open files: raise ulimit -n, or use fewer --workers\)\n$/)
  t.equal(String(r.stdout), '', 'no output')
  t.same(readdirSync(tmp), [], 'nothing left in the temp dir')
})

t.test('a command that cannot open its own modules: exit 2, one line, saying to raise ulimit -n', async t => {
  // below about 21 descriptors the main thread cannot load the command's modules (Node itself
  // fails below about 18, before any of mrstream runs)
  const { r, tries } = firstSaying([19, 20, 18], 'to start', "-m '(l, emit) => emit(l, 1)' -r count -q", 'a\n')
  t.equal(r.status, 2, tries)
  t.equal(String(r.stderr), 'mrstream: too many open files to start (EMFILE): raise ulimit -n\n')
  t.equal(String(r.stdout), '', 'no output')
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

// Records of tens of MB: each took its worker past its V8 heap limit in a single allocation,
// which aborts the whole process (exit 134, temp dir left behind: Node can stop a worker over
// its limit only between allocations). They must work, and leave nothing behind.
const large = { env, maxBuffer: 1 << 20, timeout: 600_000, killSignal: 'SIGKILL' as const }

t.test('a 150 MB value goes through a spill and a reduce', async t => {
  const dir = t.testdir({ tmp: {} })
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, bin, '-m', '(l, emit) => emit("big", "x".repeat(150 << 20))', '-r', 'count', '--tmp-dir', join(dir, 'tmp'), '-q'], { ...large, input: '1\n' })
  t.equal(r.status, 0, String(r.stderr).slice(0, 2000))
  t.equal(String(r.stdout), 'big\t1\n')
  t.same(readdirSync(join(dir, 'tmp')), [], 'no temp dir left')
})

t.test('two 60 MB lines as keys, one in each worker', async t => {
  const dir = t.testdir({ tmp: {} })
  const line = (c: string): Buffer => Buffer.concat([Buffer.alloc(60 << 20, c), Buffer.from('\n')])
  writeFileSync(join(dir, 'in.txt'), Buffer.concat([line('b'), line('a')]))
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, bin, '-m', '(l, emit) => emit(l, l.length)', '-r', 'first', '--workers', '2', '--tmp-dir', join(dir, 'tmp'), '-q', '-o', join(dir, 'out.txt'), join(dir, 'in.txt')], large)
  t.equal(r.status, 0, String(r.stderr).slice(0, 2000))
  const want = createHash('sha256')
  for (const c of ['a', 'b']) { want.update(Buffer.alloc(60 << 20, c)); want.update(`\t${60 << 20}\n`) }
  t.equal(createHash('sha256').update(readFileSync(join(dir, 'out.txt'))).digest('hex'), want.digest('hex'), 'both lines, in key order, each with its length')
  t.same(readdirSync(join(dir, 'tmp')), [], 'no temp dir left')
})
