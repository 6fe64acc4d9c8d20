// Mistakes a newcomer makes that used to pass without a word: a reduce that returns nothing
// (a missing `return`), values used as an array, a map that returns instead of emitting, a
// misspelt export or option, a TypeScript job with a type error (--typecheck), a TypeScript
// syntax error printed twice. Each is run through the built binary as a user runs it.
import t, { type Test } from 'tap'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnCli, type Result } from './helpers/cli.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const words = 'b a c b a b\n'
const counted = 'a\t2\nb\t3\nc\t1\n'
const map = 'export function map (line, emit) { for (const w of line.split(" ")) emit(w, 1) }\n'

/** mrstream in dir, one worker, a fresh --tmp-dir checked empty after. */
async function mrs (t: Test, dir: string, args: string[], stdin = words): Promise<Result> {
  const tmp = mkdtempSync(join(dir, 'tmp-'))
  const r = await spawnCli([...args, '--workers', '1', '--tmp-dir', tmp], dir, { stdin })
  t.same(readdirSync(tmp), [], 'the temp dir is empty after')
  rmSync(tmp, { recursive: true })
  return r
}

const count = (s: string, part: string): number => s.split(part).length - 1

t.test('a reduce that returns nothing for every key: exit 0, and a warning naming the likely cause', async t => {
  const dir = t.testdir({ 'job.mjs': map + 'export function reduce (k, vs) { let n = 0; for (const v of vs) n += v }\n' })
  for (const quiet of [[], ['-q']]) {
    const r = await mrs(t, dir, ['--job', 'job.mjs', ...quiet])
    t.equal(r.code, 0, `${quiet.join(' ')}: exit 0`)
    t.equal(r.stdout, '')
    t.match(r.stderr, /^mrstream: warning: reduce returned undefined for all 3 keys and emitted nothing, so it wrote nothing: a missing `return`\?/m, `${quiet.join(' ')}: warned`)
    t.equal(count(r.stderr, 'warning'), 1, 'once')
  }
  const r = await mrs(t, dir, ['--job', 'job.mjs', '-q', '--no-warnings'])
  t.same([r.code, r.stdout, r.stderr], [0, '', ''], '--no-warnings: not a word')
  // the same reduce through an inline -r
  const inline = await mrs(t, dir, ['-m', '(l, emit) => emit(l, 1)', '-r', '(k, vs) => { for (const v of vs) {} }', '-q'], 'x\n')
  t.match(inline.stderr, /reduce returned undefined for the 1 key and emitted nothing/)
})

t.test('no warning where reduce wrote something, returned or emitted', async t => {
  const dir = t.testdir({
    'some.mjs': map + 'export function reduce (k, vs) { let n = 0; for (const v of vs) n += v; if (n > 1) return n }\n',
    'emits.mjs': map + 'export function reduce (k, vs, emit) { for (const v of vs) emit(k, v) }\n',
  })
  const some = await mrs(t, dir, ['--job', 'some.mjs'])
  t.equal(some.stdout, 'a\t2\nb\t3\n')
  t.notMatch(some.stderr, /warning/)
  const emits = await mrs(t, dir, ['--job', 'emits.mjs'])
  t.equal(emits.stdout, 'a\t1\na\t1\nb\t1\nb\t1\nb\t1\nc\t1\n')
  t.notMatch(emits.stderr, /warning/)
})

t.test('values used as an array: the warning names the read and the one-pass rule', async t => {
  const dir = t.testdir({
    'length.mjs': map + 'export function reduce (k, values) { return values.length }\n',
    'index.mjs': map + 'export function reduce (k, values, emit) { emit(k, values[0] ?? "none") }\n',
    'slice.mjs': map + 'export function reduce (k, values) { return values.slice(1) }\n',
  })
  const length = await mrs(t, dir, ['--job', 'length.mjs', '-q'])
  t.equal(length.code, 0)
  t.equal(length.stdout, '')
  t.match(length.stderr, /reduce returned undefined for all 3 keys and emitted nothing, so it wrote nothing: values\.length read 3 times: values is one-pass, an iterator, not an array; iterate it once with for\.\.\.of/)
  t.notMatch(length.stderr, /missing `return`/, 'the read is named as the cause')

  const index = await mrs(t, dir, ['--job', 'index.mjs', '-q'])
  t.equal(index.code, 0)
  t.equal(index.stdout, 'a\tnone\nb\tnone\nc\tnone\n', 'values[0] is undefined, as before')
  t.match(index.stderr, /^mrstream: warning: reduce: values\[0\] read 3 times: values is one-pass/m)

  // a method the iterator lacks fails the call: the error says why
  const slice = await mrs(t, dir, ['--job', 'slice.mjs'])
  t.equal(slice.code, 1)
  t.match(slice.stderr, /reduce failed for key "a": TypeError: values\.slice is not a function/)
  t.match(slice.stderr, /values\.slice is undefined: values is one-pass/)
})

t.test('the streaming reduce phase warns too', async t => {
  const dir = t.testdir({ 'job.mjs': map + 'export function reduce (k, values) { return values.length }\n' })
  const r = await spawnCli(['reduce', '--job', 'job.mjs', '-q'], dir, { stdin: '"a"\t1\n"a"\t1\n"b"\t1\n' })
  t.equal(r.code, 0)
  t.equal(r.stdout, '')
  t.match(r.stderr, /^mrstream: warning: reduce returned undefined for all 2 keys and emitted nothing, so it wrote nothing: values\.length read 2 times/m)
  const off = await spawnCli(['reduce', '--job', 'job.mjs', '-q', '--no-warnings'], dir, { stdin: '"a"\t1\n' })
  t.same([off.code, off.stderr], [0, ''])
})

t.test('a combine that returns nothing, or reads its values as an array, fails the job, in the sort buffer, in merges and as a streaming command', async t => {
  const reduce = 'export function reduce (k, vs) { let n = 0; for (const v of vs) n += v; return n }\n'
  // late.mjs gives nothing only when every value was combined before: never in the sort buffer,
  // where a new value is a map's 1, but in merge passes of runs (each line's word twice: 2s)
  const dir = t.testdir({
    'nothing.mjs': map + reduce + 'export function combine (k, vs) { let n = 0; for (const v of vs) n += v }\n',
    'async.mjs': map + reduce + 'export async function combine (k, vs) { let n = 0; for (const v of vs) n += v; return n }\n',
    'indexed.mjs': map + reduce + 'export function combine (k, vs) { return vs[0] + vs[1] }\n',
    'late.mjs': map + reduce + 'export function combine (k, vs) { let n = 0, all = true; for (const v of vs) { n += v; all &&= v > 1 } if (!all) return n }\n',
  })
  const twice = Array.from({ length: 40_000 }, (_, i) => `w${i % 5000} w${i % 5000}`).join('\n') + '\n'
  for (const [name, args, stdin, where] of [['nothing.mjs', [], words, 'map side'], ['late.mjs', ['--memory', '64KB', '--fan-in', '2'], twice, 'merge']] as const) {
    const r = await mrs(t, dir, ['--job', name, ...args], stdin)
    t.equal(r.code, 1, `${name} ${args.join(' ')}: exit 1`)
    t.match(r.stderr, new RegExp(`combine failed \\(${where}.*\\): combine for key "\\w+" returned nothing and emitted nothing; a combine must return \\(or emit\\) the combined value: is a \`return\` missing\\?`))
    t.equal(r.stdout, '', 'no output')
  }
  const phase = await spawnCli(['combine', '--job', 'nothing.mjs'], dir, { stdin: '"a"\t1\n"a"\t1\n"b"\t1\n' })
  t.equal(phase.code, 1, 'mrstream combine: exit 1')
  t.match(phase.stderr, /combine for key "a" returned nothing and emitted nothing/)
  // values used as an array: one-pass values in merges and in the streaming command
  const indexed = await mrs(t, dir, ['--job', 'indexed.mjs', '--memory', '64KB', '--fan-in', '2'], twice)
  t.equal(indexed.code, 1, 'combine reading values[1] in a merge: exit 1')
  t.match(indexed.stderr, /combine failed \(merge\): combine for key "\w+": values\[1\] is undefined: values is one-pass/)
  t.equal(indexed.stdout, '', 'no output')
  const indexedPhase = await spawnCli(['combine', '--job', 'indexed.mjs'], dir, { stdin: '"a"\t1\n"a"\t1\n' })
  t.equal(indexedPhase.code, 1, 'and as the streaming combine phase')
  t.match(indexedPhase.stderr, /combine for key "a": values\[1\] is undefined: values is one-pass/)
  // an async combine, refused by the streaming command as by a local run
  const asyncPhase = await spawnCli(['combine', '--job', 'async.mjs'], dir, { stdin: '"a"\t1\n"a"\t1\n' })
  t.equal(asyncPhase.code, 1, 'an async combine as the streaming command: exit 1')
  t.match(asyncPhase.stderr, /combine for key "a" returned a promise; combiners must be synchronous/)
  // a named reducer's own combine is not silently replaced
  const named = await mrs(t, dir, ['-m', '(l, emit) => emit(l, 1)', '-r', 'sum', '--combine', '(k, vs) => {}'], 'x\n')
  t.equal(named.code, 2, '-r sum --combine: exit 2')
  t.match(named.stderr, /-r sum brings its own combine; leave out --combine/)
})

t.test('a combine that fails past 65,536 keys names the record whose pair it was combining', async t => {
  // there the sort buffer holds pairs of an ASCII key and a number for a while, across records,
  // and adds them later, together: the error must still name the line of the pair's record
  const dir = t.testdir({ 'job.mjs': 'export function map (line, emit) { emit(line.slice(1), 1) }\nexport function reduce (k, vs) { let n = 0; for (const v of vs) n += v; return n }\nexport function combine (k, vs) { if (k.startsWith("boom")) throw new Error("no " + k); let n = 0; for (const v of vs) n += v; return n }\n' })
  for (const key of ['boom', 'boom-a-key-longer-than-eight-bytes']) {
    // (keys that repeat, so that the buffer goes on indexing them; the map emits each line
    // past its first character: a line emitted as it is goes to the buffer another way)
    const lines = Array.from({ length: 70_000 }, (_, i) => `_k${i}\n_k${i >> 1}`)
    lines.push('_' + key, '_x', '_y', '_' + key, ...Array.from({ length: 20 }, (_, i) => `_z${i}`)) // the second is on line 140,004
    writeFileSync(join(dir, 'in.txt'), lines.join('\n') + '\n')
    const failed = await mrs(t, dir, ['--job', 'job.mjs', 'in.txt'], '')
    t.equal(failed.code, 1, `${key}: exit 1`)
    t.match(failed.stderr, new RegExp(`combine failed \\(map side, at in\\.txt:140004\\): .*no ${key}`), `${key}: the record's line`)
    t.equal(failed.stdout, '', 'no output')
  }
})

t.test('a combine that fails in a spill says so: no one record was being added', async t => {
  // objects as values: a key's several values are combined when it spills (at the task's end)
  const dir = t.testdir({ 'in.txt': 'a\na\nb\n' })
  const r = await mrs(t, dir, ['-m', '(l, emit) => emit(l, { n: 1 })', '-r', '(k, vs) => 1', '--combine', '(k, vs) => { throw new Error("no") }', 'in.txt'], '')
  t.equal(r.code, 1)
  t.match(r.stderr, /^mrstream: combine failed \(map side, in a spill after in\.txt:3\): combine threw for key "a": Error: no$/m)
})

t.test('a map that returns pairs instead of emitting them', async t => {
  const dir = t.testdir()
  const r = await mrs(t, dir, ['-m', '(line, emit) => [line, 1]', '-r', 'count', '-q'])
  t.equal(r.code, 0)
  t.match(r.stderr, /^mrstream: warning: map emitted nothing for the 1 record: its return value is not written; call emit\(key, value\)/m)
})

t.test('a misspelt export: the error names the one meant', async t => {
  const dir = t.testdir({
    'reducer.mjs': map + 'export function reducer (k, vs) { return 1 }\n',
    'mapper.mjs': 'export function mapper (l, emit) {}\nexport function reduce () {}\n',
    'Map.cjs': 'module.exports = { Map (l, emit) {}, reduce () {} }\n',
    'combiner.mjs': map + 'export function reduce () {}\nexport function combiner () {}\n',
    'reduse.mjs': map + 'export const reduse = () => 1\n',
    'step.mjs': 'export const step = [{ map () {}, reduce () {} }]\n',
  })
  const cases: Array<[string, RegExp]> = [
    ['reducer.mjs', /it exports no `reduce` function, but exports `reducer`: did you mean `reduce`\?/],
    ['mapper.mjs', /it exports no `map` function, but exports `mapper`: did you mean `map`\?/],
    ['Map.cjs', /it exports no `map` function, but exports `Map`: did you mean `map`\?/],
    ['combiner.mjs', /it exports `combiner`, which mrstream never calls: did you mean `combine`\?/],
    ['reduse.mjs', /but exports `reduse`: did you mean `reduce`\?/],
    ['step.mjs', /an array `step`: did you mean `steps`/],
  ]
  for (const [file, message] of cases) {
    const r = await mrs(t, dir, ['--job', file, 'no-such-input'])
    t.equal(r.code, 2, `${file}: exit 2, before the input is looked at`)
    t.match(r.stderr, message, file)
  }
})

t.test('a misspelt option or command: did you mean', async t => {
  const dir = t.testdir()
  const cases: Array<[string[], RegExp]> = [
    [['-m', 'x', '-r', 'count', '--memroy', '1MB'], /unknown option --memroy: did you mean --memory\?/],
    [['-m', 'x', '-r', 'count', '--worker', '2'], /unknown option --worker: did you mean --workers\?/],
    [['-m', 'x', '-r', 'count', '--no-progres'], /unknown option --no-progres: did you mean --no-progress\?/],
    [['-m', 'x', '-r', 'count', '--frobnicate'], /unknown option --frobnicate\n/],
    [['reduce', '--jbo', 'x.js'], /unknown option --jbo: did you mean --job\?/],
    [['reduse', '--job', 'x.js'], /reduse is neither a command nor an input file: did you mean reduce\?/],
  ]
  for (const [args, message] of cases) {
    const r = await spawnCli(args, dir)
    t.equal(r.code, 2, args.join(' '))
    t.match(r.stderr, message)
    t.match(r.stderr, /Try mrstream --help/)
  }
})

t.test('a TypeScript syntax error is printed once, where it is', async t => {
  const dir = t.testdir({ 'bad.ts': 'export function map (line: string, emit: any) {\n  emit(line, 1\n}\nexport const reduce = () => 1\n' })
  const r = await mrs(t, dir, ['--job', 'bad.ts'])
  t.equal(r.code, 2)
  t.match(r.stderr, /^mrstream: cannot load job \S*bad\.ts: syntax error: .*bad\.ts:3:1: Expected "\)" but found "}"\n$/)
  t.equal(count(r.stderr, 'Expected'), 1, 'once')
})

/** A folder outside this checkout (no tsconfig.json above it), with typescript installed when `ts`. */
function away (t: Test, files: Record<string, string>, ts: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'mrstream-typecheck-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  if (ts) {
    mkdirSync(join(dir, 'node_modules'))
    symlinkSync(join(root, 'node_modules', 'typescript'), join(dir, 'node_modules', 'typescript'))
  }
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  return dir
}

t.test('--typecheck: the job checked by the TypeScript installed where it is', async t => {
  const job = (value: string): string => `export function map (line: string, emit: (k: string, v: number) => void): void { for (const w of line.split(' ')) emit(w, ${value}) }\nexport function reduce (k: string, vs: Iterable<number>): number { let n = 0; for (const v of vs) n += v; return n }\n`
  const untyped = 'export function map (line, emit) { for (const w of line.split(" ")) emit(w, 1) }\nexport function reduce (k, vs) { return 1 }\n'
  const dir = away(t, {
    'good.ts': job('1'),
    // a type error, and a parameter without a type (an error only when strict)
    'bad.ts': job('"1"') + 'function twice (x) { return x + x }\n',
    'loose/tsconfig.json': '{ "compilerOptions": { "strict": false, "noEmit": false, "outDir": "out", "rootDir": "src" }, "include": ["src"] }',
    'loose/job.ts': untyped,
    'job.js': map + 'export function reduce () { return 1 }\n',
  }, true)
  const before = readdirSync(dir, { recursive: true }).sort()
  const bad = await mrs(t, dir, ['--job', 'bad.ts', '--typecheck'])
  t.equal(bad.code, 2, 'a type error: exit 2')
  t.match(bad.stderr, /^mrstream: --typecheck: bad\.ts does not type-check \(TypeScript \d+\.\d+\.\d+, strict; no tsconfig\.json above the job\):\nbad\.ts\(1,\d+\): error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'\./)
  t.match(bad.stderr, /^bad\.ts\(3,\d+\): error TS7006: Parameter 'x' implicitly has an 'any' type\.$/m, 'strict by default')
  t.equal(bad.stdout, '')
  const unchecked = await mrs(t, dir, ['--job', 'bad.ts', '-q'])
  t.same([unchecked.code, unchecked.stdout], [0, 'a\t011\nb\t0111\nc\t01\n'], 'without --typecheck it runs, its strings added up')

  const good = await mrs(t, dir, ['--job', 'good.ts', '--typecheck', '-q'])
  t.same([good.code, good.stdout, good.stderr], [0, counted, ''], 'a job that checks runs')

  const own = await mrs(t, dir, ['--job', 'loose/job.ts', '--typecheck', '-q'])
  t.same([own.code, own.stdout], [0, 'a\t1\nb\t1\nc\t1\n'], 'the tsconfig.json above the job is used (its rootDir and include notwithstanding)')
  t.same(readdirSync(dir, { recursive: true }).sort(), before, 'the check leaves no file behind')

  const js = await mrs(t, dir, ['--job', 'job.js', '--typecheck'])
  t.equal(js.code, 2)
  t.match(js.stderr, /--typecheck: job\.js is not a TypeScript file/)
  const inline = await mrs(t, dir, ['-m', '(l, emit) => emit(l, 1)', '-r', 'count', '--typecheck'])
  t.equal(inline.code, 2)
  t.match(inline.stderr, /--typecheck checks a --job FILE\.ts/)

  const none = await mrs(t, away(t, { 'good.ts': job('1') }, false), ['--job', 'good.ts', '--typecheck'])
  t.equal(none.code, 2)
  t.match(none.stderr, /--typecheck: no TypeScript where good\.ts is; install it there \(npm install --save-dev typescript\)/)
})

t.test('mrstream init writes a commented job that runs, and never overwrites', async t => {
  const dir = t.testdir()
  for (const name of ['wc.js', 'wc.ts']) {
    const made = await spawnCli(['init', name], dir)
    t.equal(made.code, 0, `init ${name}`)
    t.match(made.stderr, `wrote ${name}`)
    const text = readFileSync(join(dir, name), 'utf8')
    t.match(text, /values is ONE-PASS/)
    const r = await mrs(t, dir, ['--job', name, '-q', ...(name.endsWith('.ts') ? ['--typecheck'] : [])], 'The cat\nthe dog\n')
    t.same([r.code, r.stdout, r.stderr], [0, 'cat\t1\ndog\t1\nthe\t2\n', ''], `${name} runs${name.endsWith('.ts') ? ' and type-checks' : ''}`)
    writeFileSync(join(dir, name), 'mine\n')
    const again = await spawnCli(['init', name], dir)
    t.equal(again.code, 2, 'an existing file: exit 2')
    t.match(again.stderr, `init ${name}: it exists; init writes a new file only`)
    t.equal(readFileSync(join(dir, name), 'utf8'), 'mine\n', 'and it is left as it was')
  }
  const py = await spawnCli(['init', 'wc.py'], dir)
  t.equal(py.code, 2)
  t.match(py.stderr, /give a name ending in \.js, \.mjs, \.ts or \.mts/)
})
