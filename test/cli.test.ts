// The command line as a user meets it (docs/cli.md): options and usage errors, job files of every
// form, job errors (map/reduce threw, bad keys, bad records, what the job's code does after its
// call returned) and the built-in reducers. Inputs and outputs are in cli-io.test.ts. Every test
// spawns the built binary with a fresh --tmp-dir and checks that it holds nothing afterwards.
import t from 'tap'
import { STACK_LINE, job, mrs, root, spawnCli, text, wordCount } from './helpers/cli.js'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { depth, sample } from './helpers/depth.js'

/** A stack frame in the engine's code: dist/lib/*.js, or lib/*.ts through source maps. */
const ENGINE_FRAME = new RegExp(`${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(dist/)?(lib|bin)/|node:internal`)

t.test('--help and --version exit 0', async t => {
  const dir = t.testdir()
  for (const flag of ['--help', '-h']) {
    const r = await spawnCli([flag], dir)
    t.equal(r.code, 0, `${flag} exits 0`)
    t.match(r.stdout, /Usage: mrstream/, `${flag} prints the usage`)
    t.match(r.stdout, /--job/)
  }
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version
  for (const flag of ['--version', '-V']) {
    const r = await spawnCli([flag], dir)
    t.equal(r.code, 0, `${flag} exits 0`)
    t.match(r.stdout, version, `${flag} prints the package version`)
  }
})

t.test('usage errors exit 2 and point at --help', async t => {
  const dir = t.testdir({ 'in.txt': 'a b\n' })
  const cases: Array<[string, string[], RegExp]> = [
    ['unknown option', ['--job', job('wordcount-named.mjs'), '--no-such-option', 'in.txt'], /no-such-option/],
    ['missing --job', ['in.txt'], /--job/],
    ['bad --memory', ['--job', job('wordcount-named.mjs'), '--memory', '12zz', 'in.txt'], /--memory/],
    ['--workers 0', ['--job', job('wordcount-named.mjs'), '--workers', '0', 'in.txt'], /--workers/],
    ['bad --format', ['--job', job('wordcount-named.mjs'), '--format', 'xml', 'in.txt'], /--format/],
    ['absurd --workers', ['--job', job('wordcount-named.mjs'), '--workers', '99999999999999999999', 'in.txt'], /--workers "99999999999999999999": at most 1024/],
    ['--stats into a missing directory', ['--job', job('wordcount-named.mjs'), '--stats', 'nodir/stats.json', 'in.txt'], /--stats nodir\/stats.json: directory .*nodir does not exist/],
    ['--stats onto a directory', ['--job', job('wordcount-named.mjs'), '--stats', '.', 'in.txt'], /--stats \.: is a directory/],
    ['-o DIR/ without --reducers', ['--job', job('wordcount-named.mjs'), '-o', 'newdir/', 'in.txt'], /output newdir\/ names a directory; give --reducers N/],
  ]
  for (const [name, args, names] of cases) {
    const r = await mrs(t, dir, args)
    t.equal(r.code, 2, `${name}: exit 2`)
    t.match(r.stderr, /Try mrstream --help/, `${name}: points at --help`)
    t.match(r.stderr, names, `${name}: names the option`)
    t.equal(r.stdout, '', `${name}: nothing on stdout`)
    t.notMatch(r.stderr, STACK_LINE, `${name}: no stack trace`)
  }
})

t.test('a broken job fails with exit 2 before any input is read', async t => {
  const dir = t.testdir()
  // The input does not exist: an error about the job proves the job was checked first.
  const input = 'no-such-input.txt'
  const cases: Array<[string, string, RegExp]> = [
    ['missing job file', 'no-such-job.mjs', /no-such-job\.mjs/],
    ['job without map', job('no-map.mjs'), /no-map\.mjs[\s\S]*map/],
    ['combine without reduce', job('combine-no-reduce.mjs'), /combine-no-reduce\.mjs: `combine` without `reduce`/],
    ['CommonJS syntax error', job('syntax-error.cjs'), /syntax-error\.cjs:4\b/],
    ['TypeScript syntax error', job('syntax-error.ts'), /syntax-error\.ts:4\b/],
    // Node puts an ES module's syntax error place outside err.stack; the message must still name it.
    ['ES module syntax error', job('syntax-error.mjs'), /syntax-error\.mjs:4\b/],
  ]
  for (const [name, file, expected] of cases) {
    const r = await mrs(t, dir, ['--job', file, input])
    t.equal(r.code, 2, `${name}: exit 2`)
    t.match(r.stderr, expected, `${name}: names the job file (and line)`)
    t.notMatch(r.stderr, input, `${name}: the error is about the job, not the input`)
    t.notMatch(r.stderr, /no such file/i, `${name}: the input was not looked at`)
    t.equal(r.stdout, '')
  }
})

t.test('every job form gives the same word count', async t => {
  const input = text(300)
  const dir = t.testdir({ 'in.txt': input })
  const expected = wordCount(input)
  for (const form of ['wordcount-named.mjs', 'wordcount-default.mjs', 'wordcount.cjs', 'wordcount.ts']) {
    const r = await mrs(t, dir, ['--job', job(form), '--workers', '2', '-q', 'in.txt'])
    t.equal(r.code, 0, `${form}: exit 0`)
    t.equal(r.stdout, expected, `${form}: word counts`)
    t.equal(r.stderr, '', `${form}: -q prints nothing on stderr`)
  }
  const inline = await mrs(t, dir, ['-m', '(line, emit) => { for (const w of line.split(/\\s+/)) if (w) emit(w, 1) }', '-r', 'sum', '-q', 'in.txt'])
  t.equal(inline.code, 0, 'inline -m/-r sum: exit 0')
  t.equal(inline.stdout, expected, 'inline -m/-r sum: word counts')
  // (words and field are in reach of an inline function)
  const counted = await mrs(t, dir, ['-m', '(line, emit) => words(line, w => emit(field(w, 0), null))', '-r', 'count', '-q', 'in.txt'])
  t.equal(counted.stdout, expected, 'inline -r count, with words and field')
  // -r identity: every pair written, in key order, values in input order (like `sort -s -k1,1`)
  const pairs = await mrs(t, dir, ['-m', '(line, emit, ctx) => { for (const w of line.split(/\\s+/)) if (w) emit(w, ctx.line) }', '-r', 'identity', '--workers', '2', '-q', 'in.txt'])
  const want = input.split('\n').flatMap((l, i) => l.split(/\s+/).filter(Boolean).map(w => [w, i + 1] as const))
    .sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])) || a[1] - b[1])
  t.equal(pairs.stdout, want.map(([w, n]) => `${w}\t${n}\n`).join(''), 'inline -r identity')
})

t.test('-r sum adds numbers, and arrays of numbers element by element; anything else fails', async t => {
  const dir = t.testdir({ 'in.txt': 'a 10\nb -\na 5\nb 7\na 1.5\n' })
  // requests and bytes per key, as a log job would count them, through spills (--memory 64KB)
  const pairs = await mrs(t, dir, ['-m', '(l, emit) => { const [k, b] = l.split(" "); emit(k, [1, b === "-" ? 0 : Number(b)]) }', '-r', 'sum', '--memory', '64KB', '-q', 'in.txt'])
  t.equal(pairs.code, 0, 'arrays: exit 0')
  t.equal(pairs.stdout, 'a\t[3,16.5]\nb\t[2,7]\n', 'arrays: element by element')
  const numbers = await mrs(t, dir, ['-m', '(l, emit) => emit(l[0], l.length)', '-r', 'sum', '-q', 'in.txt'])
  t.equal(numbers.stdout, 'a\t12\nb\t6\n', 'numbers')
  for (const [what, value] of [['a string', '"x"'], ['arrays of two lengths', 'l.length % 2 ? [1] : [1, 2]'], ['an array with a string', '[1, "x"]'], ['a number among arrays', 'l.length % 2 ? 1 : [1]']]) {
    const r = await mrs(t, dir, ['-m', `(l, emit) => emit("k", ${value})`, '-r', 'sum', '--max-bad-records', '0', 'in.txt'])
    t.equal(r.code, 1, `${what}: exit 1`)
    t.match(r.stderr, /sum: .*(numbers|number)/, `${what}: says what sum adds`)
    t.match(r.stderr, /"k"/, `${what}: names the key`)
    t.equal(r.stdout, '', `${what}: no output`)
  }
})

t.test('map throws: exit 1 naming file:line, the phase and the job frames', async t => {
  const dir = t.testdir({ 'in.txt': 'one\ntwo\nthree\nfour\n' })
  const r = await mrs(t, dir, ['--job', job('map-throws.mjs'), 'in.txt'])
  t.equal(r.code, 1, 'exit 1')
  t.match(r.stderr, /in\.txt:3\b/, 'names the record: file:line')
  t.match(r.stderr, /\bmap\b/, 'names the phase')
  t.match(r.stderr, /record rejected: three/, 'gives the error message')
  t.match(r.stderr, /map-throws\.mjs:7\b/, 'shows the job frame that threw')
  t.match(r.stderr, /checkRecord/, 'shows the job function that threw')
  t.notMatch(r.stderr, ENGINE_FRAME, 'no engine frames without --debug')
  t.equal(r.stdout, '', 'no output')
  const debug = await mrs(t, dir, ['--job', job('map-throws.mjs'), '--debug', 'in.txt'])
  t.equal(debug.code, 1, '--debug: exit 1')
  t.match(debug.stderr, /in\.txt:3\b/)
  t.match(debug.stderr, ENGINE_FRAME, '--debug shows engine frames')
  // TypeScript users often run with source maps on: the engine's frames then point at lib/*.ts.
  const mapped = await mrs(t, dir, ['--job', job('map-throws.mjs'), 'in.txt'], undefined, { NODE_OPTIONS: '--enable-source-maps' })
  t.equal(mapped.code, 1, 'source maps on: exit 1')
  t.match(mapped.stderr, /map-throws\.mjs:7\b/, 'source maps on: the job frame')
  t.notMatch(mapped.stderr, ENGINE_FRAME, 'source maps on: still no engine frames')
})

t.test('reduce throws: exit 1 naming the key and the phase', async t => {
  const dir = t.testdir({ 'in.txt': 'alpha beta\ngamma beta\n' })
  const r = await mrs(t, dir, ['--job', job('reduce-throws.mjs'), 'in.txt'])
  t.equal(r.code, 1, 'exit 1')
  t.match(r.stderr, /\breduce\b/, 'names the phase')
  t.match(r.stderr, /"beta"/, 'names the key')
  t.match(r.stderr, /beta is out of range/, 'gives the error message')
  t.match(r.stderr, /reduce-throws\.mjs:6\b/, 'shows the job frame')
  t.notMatch(r.stderr, ENGINE_FRAME, 'no engine frames')
  t.equal(r.stdout, '')
})

t.test('a reduce output value the engine cannot carry fails the job, never written changed', async t => {
  const kinds = ['function', 'object-with-function', 'class', 'symbol', 'lone-surrogate', 'nested-surrogate', 'array-surrogate']
  // every kind returned, and emitted (the quick depth: every other kind), the output settings taken in turn
  const settings = [[], ['--output-format', 'ndjson'], ['--max-bad-records', '5'], ['-o', 'out.tsv']]
  for (const [i, kind] of kinds.entries()) {
    for (const [j, key] of sample([...[kind, `${kind}-emit`].entries()], 1 + (i % 2))) {
      const dir = t.testdir({ 'in.txt': `alpha\n${key}\nzeta\n` })
      for (const extra of [settings[(2 * i + j) % settings.length]!]) {
        const r = await mrs(t, dir, ['--job', job('bad-output-value.mjs'), ...extra, 'in.txt'])
        const what = `${key} ${extra.join(' ')}`
        t.equal(r.code, 1, `${what}: exit 1`)
        t.match(r.stderr, new RegExp(`reduce for key "${key}": .*cannot`), `${what}: names the phase, the key and why`)
        t.notMatch(r.stderr, STACK_LINE, `${what}: no stack trace`)
        t.equal(r.stdout, '', `${what}: no output`)
        t.notOk(existsSync(join(dir, 'out.tsv')), `${what}: no output file`)
      }
    }
  }
})

t.test('a non-Error thrown gives a useful message', async t => {
  const cases: Array<[string, RegExp]> = [
    ['string', /a plain string was thrown/],
    ['empty', /\{\}|empty|no (own )?(enumerable )?(keys|properties)|keys \[\]/i],
    ['object', /"a":\s*1|\ba\b/],
    ['null', /null/],
  ]
  for (const [record, expected] of cases) {
    const dir = t.testdir({ 'in.txt': `first\n${record}\n` })
    const r = await mrs(t, dir, ['--job', job('throw-value.mjs'), 'in.txt'])
    t.equal(r.code, 1, `${record}: exit 1`)
    t.match(r.stderr, /in\.txt:2\b/, `${record}: names the record`)
    t.match(r.stderr, expected, `${record}: describes what was thrown`)
    t.notMatch(r.stderr, '[object Object]', `${record}: never [object Object]`)
    t.notMatch(r.stderr, /internal error/, `${record}: a job error, not an engine one`)
  }
})

t.test('unsupported keys are usage errors naming the record', async t => {
  for (const kind of ['undefined', 'NaN', 'object', 'function', 'bigint']) {
    const dir = t.testdir({ 'keys.txt': `ok\nfine\n${kind}\nlater\n` })
    const r = await mrs(t, dir, ['--job', job('bad-key.mjs'), 'keys.txt'])
    t.equal(r.code, 2, `${kind}: exit 2`)
    t.match(r.stderr, /keys\.txt:3\b/, `${kind}: names file:line`)
    t.match(r.stderr, /key/, `${kind}: says it is about the key`)
    t.equal(r.stdout, '', `${kind}: no output`)
  }
})

t.test('--max-bad-records skips and counts up to N throwing records', async t => {
  const dir = t.testdir({
    'two.txt': 'ok1\nbad1\nok2\nbad2\nok3\n',
    'three.txt': 'ok1\nbad1\nok2\nbad2\nbad3\n',
  })
  const r = await mrs(t, dir, ['--job', job('bad-records.mjs'), '--max-bad-records', '2', '--stats', 'stats.json', '-v', 'two.txt'])
  t.equal(r.code, 0, 'two bad records with --max-bad-records 2: exit 0')
  // map emitted ('all', 1) and (line, ctx.line) before throwing: none of it may count.
  t.equal(r.stdout, 'all\t3\nok1\t1\nok2\t3\nok3\t5\n', 'the bad records\' pairs are not in the output')
  t.match(r.stderr, /bad records skipped\s+2\b/, 'the counters show 2 bad records skipped')
  t.match(r.stderr, /job: good records\s+3\b/, 'the job\'s own counter')
  const stats = JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf8')) as { counters: Record<string, number>, phases: Record<string, number>, user: Record<string, number>, badRecords: Array<{ file: string, line: number, record: string }> }
  t.equal(stats.counters.badRecords, 2, '--stats: counters.badRecords')
  t.same(Object.keys(stats.phases), ['map', 'merge', 'reduce', 'output'], '--stats: seconds per phase')
  t.ok(Object.values(stats.phases).every(s => typeof s === 'number' && s >= 0), '--stats: phase times are seconds')
  t.equal(stats.counters.records, 5, '--stats: counters.records')
  t.equal(stats.counters.pairs, 6, '--stats: only the good records\' pairs were emitted')
  t.same(stats.user, { 'good records': 3 }, '--stats: user counters')
  t.same(stats.badRecords.map(b => [b.file, b.line, b.record]), [['two.txt', 2, 'bad1'], ['two.txt', 4, 'bad2']], '--stats: the skipped records')
  const over = await mrs(t, dir, ['--job', job('bad-records.mjs'), '--max-bad-records', '2', 'three.txt'])
  t.equal(over.code, 1, 'three bad records with --max-bad-records 2: exit 1')
  t.match(over.stderr, /max-bad-records/, 'names the limit')
  t.match(over.stderr, /three\.txt:5\b/, 'names the record over the limit')
  t.equal(over.stdout, '', 'no output')
  const none = await mrs(t, dir, ['--job', job('bad-records.mjs'), 'two.txt'])
  t.equal(none.code, 1, 'without --max-bad-records the first bad record fails the job')
  t.match(none.stderr, /two\.txt:2\b/)
})

t.test('--max-bad-records is the whole job\'s limit, also with tasks side by side; skipped records list in input order', async t => {
  const dir = t.testdir({ 'n.txt': Array.from({ length: 60000 }, (_, i) => `${i + 1}\n`).join('') })
  const map = '(l, emit) => { if (Number(l) % 300 === 0) throw new Error("bad " + l); emit("n", 1) }'
  for (const workers of ['1', '2']) {
    const over = await mrs(t, dir, ['-m', map, '-r', 'count', '--max-bad-records', '150', '--memory', '32KB', '--workers', workers, 'n.txt'])
    t.equal(over.code, 1, `200 bad records over a limit of 150, ${workers} worker(s): exit 1`)
    t.match(over.stderr, /more than --max-bad-records 150 bad records; the last: map failed at n\.txt:45300: Error: bad 45300/, 'names the 151st in input order')
    t.equal(over.stdout, '')
    const under = await mrs(t, dir, ['-m', map, '-r', 'count', '--max-bad-records', '200', '--memory', '32KB', '--workers', workers, '--stats', 'stats.json', 'n.txt'])
    t.equal(under.code, 0, under.stderr)
    t.equal(under.stdout, 'n\t59800\n')
    const stats = JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf8')) as { badRecords: Array<{ line: number }> }
    t.strictSame(stats.badRecords.map(b => b.line), Array.from({ length: 200 }, (_, i) => 300 * (i + 1)), '--stats lists them in input order')
  }
})

t.test('what the job\'s code throws or emits after its call returned (a callback or promise it did not await) fails the job', async t => {
  const dir = t.testdir({ 'in.txt': Array.from({ length: 1000 }, (_, i) => `${i + 1}\n`).join('') })
  const count = '(k, vs) => { let n = 0; for (const _ of vs) n++; return n }'
  const cases: Array<[string, string, RegExp]> = [
    ['(l, emit) => { if (l === "5") setTimeout(() => { throw new Error("lost in a timer") }, 0); emit("n", 1) }', count, /threw after its map, combine or reduce call returned .*Error: lost in a timer/],
    ['(l, emit) => { if (l === "5") Promise.reject(new Error("lost in a promise")); emit("n", 1) }', count, /threw after .*Error: lost in a promise/],
    ['(l, emit) => { if (l === "5") setTimeout(() => emit("late", 1), 0); emit("n", 1) }', count, /emitted after .*emit was called after its map call returned/],
    ['(l, emit) => emit("n", 1)', '(k, vs) => { setTimeout(() => { throw new Error("lost in reduce") }, 0); let n = 0; for (const _ of vs) n++; return n }', /threw after .*Error: lost in reduce/],
    ['(l, emit) => emit("n", 1)', '(k, vs, emit) => { setTimeout(() => emit("late", 1), 0); let n = 0; for (const _ of vs) n++; return n }', /emitted after .*emit was called after its reduce call returned/],
  ]
  const settings = [['in.txt'], ['-'], ['--max-bad-records', '5', 'in.txt'], ['--max-bad-records', '5', '-']]
  for (const [i, [map, reduce, names]] of cases.entries()) {
    // the quick depth: each case under one of the settings, in turn, so that every setting is used
    for (const args of depth([settings[i % settings.length]!], settings)) {
      const r = await mrs(t, dir, ['-m', map, '-r', reduce, ...args], args.includes('-') ? readFileSync(join(dir, 'in.txt')) : undefined)
      t.equal(r.code, 1, `${map} ${reduce} (${args.join(' ')}): exit 1`)
      t.match(r.stderr, names)
      t.equal(r.stdout, '', 'no output')
    }
  }
  const awaited = await mrs(t, dir, ['-m', 'async (l, emit) => { await new Promise(resolve => setTimeout(resolve, 0)); emit("n", 1) }', '-r', 'count', 'in.txt'])
  t.equal(awaited.stdout, 'n\t1000\n', 'an awaited timer is the map\'s own')
})

t.test('-r min and max order values as keys are ordered, whatever the spills; -r uniq tells every value apart', async t => {
  const dir = t.testdir({
    'nums.txt': 'k 9\nk 10\nk 100\n',
    'mix.txt': ['1', ...Array.from({ length: 20000 }, () => 'pad'), 'z', '0', 'é', '\u{1F40E}', '\uFFFD', ''].join('\n') + '\n',
  })
  const field = '(l, emit) => { const f = l.split(" "); emit(f[0], Number(f[1])) }'
  t.equal((await mrs(t, dir, ['-m', field, '-r', 'max', '-q', 'nums.txt'])).stdout, 'k\t100\n', 'numbers numerically')
  const text = '(l, emit) => { const f = l.split(" "); emit(f[0], f[1]) }'
  t.equal((await mrs(t, dir, ['-m', text, '-r', 'max', '-q', 'nums.txt'])).stdout, 'k\t9\n', 'strings by code point, as sort does')
  const mixed = '(l, emit) => { if (l !== "pad") emit("k", /^[0-9]+$/.test(l) ? Number(l) : l) }'
  for (const memory of ['256MB', '64KB']) {
    t.equal((await mrs(t, dir, ['-m', mixed, '-r', 'min', '-q', '--memory', memory, 'mix.txt'])).stdout, 'k\t0\n', `min across types, --memory ${memory}`)
    t.equal((await mrs(t, dir, ['-m', mixed, '-r', 'max', '-q', '--memory', memory, 'mix.txt'])).stdout, 'k\t\u{1F40E}\n', `max by code point (an astral character above U+FFFD), --memory ${memory}`)
  }
  const nan = await mrs(t, dir, ['-m', '(l, emit) => emit("k", l === "k 10" ? NaN : 1)', '-r', 'max', 'nums.txt'])
  t.equal(nan.code, 1)
  t.match(nan.stderr, /max: NaN cannot be ordered/)
  const uniq = await mrs(t, dir, ['-m', '(l, emit) => { emit("k", BigInt(l.length)); emit("k", NaN); emit("k", null); emit("k", new Map([[l, 1]])) }', '-r', 'uniq', '--output-format', 'ndjson', '-q', 'nums.txt'])
  t.equal(uniq.code, 0, uniq.stderr)
  t.equal(uniq.stdout, '["k",["3",null,null,{"k 9":1},"4",{"k 10":1},"5",{"k 100":1}]]\n', 'bigints, NaN apart from null, each Map its own')
})
