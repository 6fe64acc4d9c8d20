// Hadoop Streaming commands (streaming.ts), each as Hadoop runs it: long values and CRLF input,
// counters and notes as Hadoop takes them, bad input as a clear error (never a silent drop),
// --max-bad-records and --max-line-bytes, a job that imports mrstream, groupBy, and the status
// a phase making progress reports. The pipelines as a whole are in streaming.test.ts.
import t from 'tap'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { shell as sh, spawnCli } from '../helpers/cli.js'

const sortedLines = (s: string): string[] => s.split('\n').filter((l, i, a) => i < a.length - 1 || l !== '').sort()

t.test('long values across reads, CRLF input, iterator use, async reduce', async t => {
  const dir = t.testdir()
  const job = join(dir, 'long.mjs')
  writeFileSync(job, 'export function map (l, emit) { emit(l.length % 3, l) }\nexport async function reduce (k, vs) { const first = vs.next(); await null; let n = first.done ? 0 : 1, chars = first.done ? 0 : first.value.length; for (const v of vs) { n++; chars += v.length } return [n, chars] }\n')
  // up to 3.3 MB a line (each over many reads), of all three lengths modulo 3
  const lines = Array.from({ length: 12 }, (_, i) => 'žluť 🐎 '.repeat(i * 38_000 + 1))
  writeFileSync(join(dir, 'in.txt'), lines.join('\n') + '\n')
  const local = await sh(`mrs --job ${job} -q < in.txt`, dir)
  const hadoop = await sh(`mrs map --job ${job} < in.txt | sort -t$'\\t' -k1,1 | sed 's/$/\\r/' | mrs reduce --job ${job}`, dir)
  t.equal(hadoop.code, 0, hadoop.stderr)
  t.equal(local.stdout.split('\n').length, 4)
  t.strictSame(sortedLines(hadoop.stdout), sortedLines(local.stdout))
})

t.test('counters, the input file name, and -q', async t => {
  const dir = t.testdir()
  const job = join(dir, 'count.mjs')
  writeFileSync(job, 'export function map (l, emit, ctx) { ctx.count("lines, all"); emit(ctx.file, ctx.line) }\nexport function reduce (k, vs) { return Math.max(...vs) }\n')
  const r = await spawnCli(['map', '--job', job], dir, { stdin: 'x\ny\n', vars: { mapreduce_map_input_file: 'hdfs://n/logs/a.log' } })
  t.equal(r.code, 0)
  t.equal(r.stdout, '"hdfs://n/logs/a.log"\t1\n"hdfs://n/logs/a.log"\t2\n')
  t.match(r.stderr, /^reporter:counter:mrstream,records read,2$/m)
  t.match(r.stderr, /^reporter:counter:job,lines {2}all,2$/m, 'a comma in a counter name would end it: made a space')
  const old = await spawnCli(['map', '--job', job, '-q'], dir, { stdin: 'x\n', vars: { map_input_file: 'old.log' } })
  t.equal(old.stdout, '"old.log"\t1\n')
  t.equal(old.stderr, '', '-q: no counters')
})

t.test('bad input: clear errors, exit codes, nothing dropped silently', async t => {
  const dir = t.testdir()
  const job = join(dir, 'wc.mjs')
  writeFileSync(job, 'export function map (l, emit) { if (l === "boom") throw new Error("no boom"); for (const w of l.split(" ")) if (w) emit(w, 1) }\nexport function reduce (w, vs) { let n = 0; for (const v of vs) n += v; return n }\nexport const combine = reduce\n')
  const unsorted = await spawnCli(['reduce', '--job', job], dir, { stdin: '"b"\t1\n"a"\t1\n' })
  t.equal(unsorted.code, 1)
  t.match(unsorted.stderr, /reduce input -:2: input is not sorted by key: "a" comes after "b"; sort it in byte order/)
  const split = await spawnCli(['reduce', '--job', job], dir, { stdin: '"a"\t1\n"a"\t1\n"b"\t2\n"a"\t1\n' })
  t.equal(split.code, 1, 'a key seen again after another is refused, not reduced twice')
  t.match(split.stderr, /reduce input -:4: input is not sorted by key: "a" comes after "b"/)
  const noTab = await spawnCli(['combine', '--job', job], dir, { stdin: '"a"\t1\njust a line\n' })
  t.equal(noTab.code, 1)
  t.match(noTab.stderr, /combine input -:2: no TAB between key and value/)
  const badKey = await spawnCli(['reduce', '--job', job], dir, { stdin: 'word\t1\n' })
  t.equal(badKey.code, 1)
  t.match(badKey.stderr, /reduce input -:1: the key "word" is not a key mrstream map writes/)
  const oddKey = await spawnCli(['reduce', '--job', job], dir, { stdin: '1\t1\n1.0\t1\n' })
  t.equal(oddKey.code, 1, 'a key not spelled as map spells it would group apart: refused')
  t.match(oddKey.stderr, /reduce input -:2: the key "1.0" is not a key mrstream map writes/)
  const badValue = await spawnCli(['reduce', '--job', job], dir, { stdin: '"a"\t{oops\n' })
  t.equal(badValue.code, 1)
  t.match(badValue.stderr, /reduce input -:1: the value is not one mrstream map writes/)
  // a reduce output value the engine cannot carry fails as it does locally, even with --max-bad-records
  const fixture = fileURLToPath(new URL('../fixtures/jobs/bad-output-value.mjs', import.meta.url))
  const uncarried = await spawnCli(['reduce', '--job', fixture, '--max-bad-records', '5'], dir, { stdin: '"a"\t1\n"function"\t1\n' })
  t.equal(uncarried.code, 1, 'reduce output value that cannot be carried: exit 1')
  t.match(uncarried.stderr, /reduce for key "function": a function cannot/)
  const other = join(dir, 'other.mjs')
  writeFileSync(other, 'export function map (l, emit) { emit(l, 1) }\nexport function reduce (k, vs) { if (k === "bad") throw new Error("bad key"); let n = 0; for (const v of vs) n += v; return n }\nexport function combine (k, vs, emit) { emit(k + "!", 1) }\n')
  const renamed = await spawnCli(['combine', '--job', other], dir, { stdin: '"a"\t1\n' })
  t.equal(renamed.code, 1)
  t.match(renamed.stderr, /combine for key "a" emitted another key "a!"; a combiner must keep its key/)
  const skip = await spawnCli(['reduce', '--job', other, '--max-bad-records', '1'], dir, { stdin: '"a"\t1\n"bad"\t1\n"bad"\t2\n"c"\t1\n' })
  t.equal(skip.code, 0, skip.stderr)
  t.equal(skip.stdout, 'a\t1\nc\t1\n', 'the bad key skipped, with its values')
  t.match(skip.stderr, /skipped bad record: reduce failed for key "bad": Error: bad key/)
  t.notMatch(skip.stderr, /dist\/(bin|lib)/, 'no engine frames in the job\'s stack')
  const tooMany = await spawnCli(['reduce', '--job', other], dir, { stdin: '"bad"\t1\n' })
  t.equal(tooMany.code, 1)
  const boom = await spawnCli(['map', '--job', job], dir, { stdin: 'a b\nboom\nc\n' })
  t.equal(boom.code, 1)
  t.match(boom.stderr, /map failed at -:2: Error: no boom/)
  const skipped = await spawnCli(['map', '--job', job, '--max-bad-records', '1'], dir, { stdin: 'a b\nboom\nc\n' })
  t.equal(skipped.code, 0)
  t.equal(skipped.stdout, '"a"\t1\n"b"\t1\n"c"\t1\n')
  t.match(skipped.stderr, /^reporter:counter:mrstream,bad records skipped,1$/m)
  const usage = await spawnCli(['reduce'], dir)
  t.equal(usage.code, 2)
  t.match(usage.stderr, /mrstream reduce needs --job FILE/)
  const help = await spawnCli(['map', '--help'], dir)
  t.equal(help.code, 0)
  t.match(help.stdout, /mrstream map\|combine\|reduce --job FILE \[--step N\]/)
  const head = await sh(`seq 300000 | mrs map --job ${job} | head -n 2; echo "map exit \${PIPESTATUS[1]}"`, dir)
  t.equal(head.stdout, '"1"\t1\n"2"\t1\nmap exit 0\n', 'a reader closing stdout early is success')
  // reduce and combine write from inside the job's function: the closed pipe is still not its failure
  const sorted = await sh(`seq 300000 | mrs map --job ${job} -q | sort > sorted`, dir)
  t.equal(sorted.code, 0, sorted.stderr)
  for (const phase of ['combine', 'reduce']) {
    const r = await sh(`mrs ${phase} --job ${job} < sorted | head -n 1; echo "${phase} exit \${PIPESTATUS[0]}"`, dir)
    t.match(r.stdout, new RegExp(`\n${phase} exit 0\n$`), `${phase}: a reader closing stdout early is success`)
    t.notMatch(r.stderr, /failed|EPIPE/, `${phase}: no error`)
  }
  for (const phase of ['map', 'reduce']) {
    const input = phase === 'map' ? 'seq 1000' : `seq 1000 | mrs map --job ${job} | sort`
    const full = await sh(`${input} | mrs ${phase} --job ${job} > /dev/full`, dir)
    t.equal(full.code, 1, `${phase} to a full disk: exit 1`)
    t.match(full.stderr, /^mrstream: output: cannot write stdout: No space left on device \(ENOSPC\)$/m, `${phase}: an output error, not the job's`)
  }
})

t.test('with --max-bad-records a key\'s output waits, past 1 MB in a temp file: a failed key writes none, a big key streams', async t => {
  const dir = t.testdir()
  const job = join(dir, 'emits.mjs')
  // key "big" writes 1.3M lines (~19 MB) then throws; the others write theirs and return
  writeFileSync(job, 'export function map (l, emit) { emit(l, 1) }\nexport function reduce (k, vs, emit) { const n = k === "hot" ? 1000000 : k === "big" ? 1300000 : 3; for (let i = 0; i < n; i++) emit(k, i); if (k === "big") throw new Error("big fails late") }\n')
  const tmp = join(dir, 'tmp')
  const run = (extra: string): Promise<{ code: number | null, stdout: string, stderr: string }> =>
    sh(`mkdir -p tmp; printf 'a\\nbig\\nhot\\nz\\n' | mrs map --job ${job} -q | LC_ALL=C sort | mrs_32mb reduce --job ${job} -q --tmp-dir ${tmp} ${extra} | md5sum`, dir)
  const staged = await run('--max-bad-records 1')
  t.equal(staged.code, 0, staged.stderr)
  const want = await sh('{ for k in a; do for i in 0 1 2; do printf \'%s\\t%s\\n\' $k $i; done; done; seq 0 999999 | sed \'s/^/hot\\t/\'; for i in 0 1 2; do printf \'z\\t%s\\n\' $i; done; } | md5sum', dir)
  t.equal(staged.stdout, want.stdout, 'the failed key\'s 1.3M lines are gone, a million lines of "hot" are all there, in a 32 MB heap')
  t.strictSame(readdirSync(tmp), [], 'the staging file and its directory are removed')
  const failing = await run('')
  t.equal(failing.code, 1, 'without --max-bad-records the key fails the job')
})

t.test('--max-line-bytes: a long line of stdin under a chunk, and of a reduce\'s input, fails naming its line', async t => {
  const dir = t.testdir()
  const job = join(dir, 'len.mjs')
  writeFileSync(job, 'export function map (l, emit) { emit(l.length, 1) }\nexport function reduce (k, vs) { let n = 0; for (const v of vs) n += v; return n }\n')
  const long = 'x'.repeat(5000)
  const map = await spawnCli(['map', '--job', job, '--max-line-bytes', '1KB'], dir, { stdin: `short\n${long}\n` })
  t.equal(map.code, 1)
  t.match(map.stderr, /^mrstream: -:2: line longer than --max-line-bytes 1024$/m)
  t.equal(map.stdout, '', 'nothing written before the long line is found (the chunk fails whole)')
  const local = await spawnCli(['--job', job, '--max-line-bytes', '1KB', '-q'], dir, { stdin: `short\n${long}\n` })
  t.equal(local.code, 1)
  t.match(local.stderr, /-:2: line longer than --max-line-bytes 1024/)
  const value = 'y'.repeat(1_500_000)
  const reduce = await spawnCli(['reduce', '--job', job, '--max-line-bytes', '1MB'], dir, { stdin: `1\t1\n1\t${value}\n` })
  t.equal(reduce.code, 1, 'a 1.5 MB line under a 1 MB limit')
  t.match(reduce.stderr, /-:2: line longer than --max-line-bytes 1048576/)
  const fits = await spawnCli(['reduce', '--job', job, '--max-line-bytes', '2MB', '-q'], dir, { stdin: '1\t1\n1\t1\n' })
  t.equal(fits.stdout, '1\t2\n')
})

t.test('a job that imports mrstream loads where only the job file is (a Hadoop task\'s directory)', async t => {
  // outside the repository: no node_modules above, and no self-reference by the package's name
  const dir = mkdtempSync(join(tmpdir(), 'mrs-task-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'count.mjs'), "import { sum } from 'mrstream'\nexport function map (l, emit) { for (const w of l.split(' ')) emit(w, 1) }\nexport const reduce = sum\nexport const combine = sum\n")
  writeFileSync(join(dir, 'len.ts'), "import { defineJob } from 'mrstream'\nexport default defineJob({ map (l: string, emit) { emit(l.length, 1) }, reduce (_k: number, vs: Iterable<number>) { let n = 0; for (const v of vs) n += v; return n } })\n")
  writeFileSync(join(dir, 'count.cjs'), "const { sum } = require('mrstream')\nmodule.exports = { map (l, emit) { emit(l, 1) }, reduce: sum }\n")
  const map = await spawnCli(['map', '--job', 'count.mjs', '-q'], dir, { stdin: 'a b a\n' })
  t.equal(map.code, 0, map.stderr)
  t.equal(map.stdout, '"a"\t1\n"b"\t1\n"a"\t1\n')
  const local = await spawnCli(['--job', 'count.mjs', '-q', '--workers', '2'], dir, { stdin: 'a b a\n' })
  t.equal(local.stdout, 'a\t2\nb\t1\n', local.stderr)
  const ts = await spawnCli(['--job', 'len.ts', '-q'], dir, { stdin: 'abc\nde\nfgh\n' })
  t.equal(ts.stdout, '2\t1\n3\t2\n', ts.stderr)
  const cjs = await spawnCli(['reduce', '--job', 'count.cjs', '-q'], dir, { stdin: '"a"\t1\n"a"\t2\n' })
  t.equal(cjs.stdout, 'a\t3\n', cjs.stderr)
  const missing = join(dir, 'other.mjs')
  writeFileSync(missing, "import { nothing } from 'not-a-package-here'\nexport function map () {}\nexport function reduce () {}\n")
  const bad = await spawnCli(['map', '--job', missing], dir, { stdin: 'x\n' })
  t.equal(bad.code, 2, 'other packages are not resolved for the job')
})

t.test('notes and counters as Hadoop takes them: partition() unused, amounts as digits; a bigint key from combine', async t => {
  const dir = t.testdir()
  const job = join(dir, 'part.mjs')
  writeFileSync(job, 'export function map (l, emit, ctx) { ctx.count("big", 1e21); emit(l, 1) }\nexport function reduce (k, vs) { return 1 }\nexport function combine (k, vs, emit) { emit(5n, 1) }\nexport function partition (k, n) { return 0 }\n')
  const map = await spawnCli(['map', '--job', job], dir, { stdin: 'a\n' })
  t.equal(map.code, 0, map.stderr)
  t.match(map.stderr, /note: the job's partition\(\) is not used under Hadoop Streaming/)
  t.match(map.stderr, /^reporter:counter:job,big,1000000000000000000000$/m, 'not 1e+21, which Hadoop\'s parser drops')
  const quiet = await spawnCli(['map', '--job', job, '-q'], dir, { stdin: 'a\n' })
  t.equal(quiet.stderr, '')
  const combine = await spawnCli(['combine', '--job', job], dir, { stdin: '"a"\t1\n' })
  t.equal(combine.code, 1)
  t.match(combine.stderr, /combine for key "a" emitted another key 5n?; a combiner must keep its key/)
})

t.test('groupBy: GROUP<TAB>ORDER<TAB>VALUE lines; partitioned on GROUP and sorted on both fields (as Hadoop is told to), reducers print a local run\'s lines', async t => {
  const dir = t.testdir()
  const job = join(dir, 'sessions.mjs')
  writeFileSync(job, `export const groupBy = 1
export function map (line, emit) {
  const [user, time, page] = line.split(' ')
  emit([user, Number(time)], page)
}
export function reduce (user, pages) { return [...pages].join(' ') }
`)
  // times unique per user, whose text order is not their order (-5 < 9 < 10 < 100.25)
  const events = Array.from({ length: 3000 }, (_, i) => `u${(i * 7) % 13} ${((i * 7919) % 100003) / 4 - 500} /p${i % 17}`)
  writeFileSync(join(dir, 'ev.txt'), events.join('\n') + '\n')
  const local = await sh(`mrs --job ${job} -q < ev.txt`, dir)
  t.equal(local.code, 0, local.stderr)
  const map = await sh(`mrs map --job ${job} -q < ev.txt`, dir)
  t.equal(map.code, 0, map.stderr)
  t.match(map.stdout, /^"u0"\t04[0-9a-f]{16}00\t"\/p0"$/m, 'the group as JSON, then the rest of the key as hex')
  // Hadoop's KeyFieldBasedPartitioner -k1,1: a hash of the first field picks the reducer
  const parts: string[][] = [[], [], []]
  for (const line of map.stdout.split('\n').filter(Boolean)) {
    const group = line.slice(0, line.indexOf('\t'))
    let h = 0
    for (const c of group) h = (h * 31 + c.charCodeAt(0)) >>> 0
    parts[h % 3]!.push(line)
  }
  let all: string[] = []
  for (const [p, lines] of parts.entries()) {
    writeFileSync(join(dir, `map-${p}.txt`), lines.join('\n') + '\n')
    const reduced = await sh(`LC_ALL=C sort -t$'\\t' -k1,2 map-${p}.txt | mrs reduce --job ${job} -q`, dir)
    t.equal(reduced.code, 0, reduced.stderr)
    all = all.concat(sortedLines(reduced.stdout))
  }
  t.ok(parts.every(p => p.length > 0), 'every reducer had groups')
  t.strictSame(all.sort(), sortedLines(local.stdout), 'the union of the reducers\' output is a local run\'s')

  const unsorted = await spawnCli(['reduce', '--job', job], dir, { stdin: '"u"\t04800000000000000000\t"a"\n"u"\t0200\t"b"\n' })
  t.equal(unsorted.code, 1)
  t.match(unsorted.stderr, /reduce input -:2: input is not sorted by key: \["u",false\] comes after \["u",0\]; sort it in byte order \(LC_ALL=C sort -t\$'\\t' -k1,2/)
  const oneField = await spawnCli(['reduce', '--job', job], dir, { stdin: '"u"\t"a"\n' })
  t.equal(oneField.code, 1)
  t.match(oneField.stderr, /reduce input -:1: no TAB between key and value \(expected the GROUP<TAB>ORDER<TAB>VALUE lines/)
  const badOrder = await spawnCli(['reduce', '--job', job], dir, { stdin: '"u"\txyz\t"a"\n' })
  t.equal(badOrder.code, 1)
  t.match(badOrder.stderr, /reduce input -:1: the key .* is not a key mrstream map writes: (Error: )?the order field "xyz" is not the hex/)
  const notArray = join(dir, 'flat.mjs')
  writeFileSync(notArray, 'export const groupBy = 1\nexport function map (l, emit) { emit(l, 1) }\nexport function reduce (k, vs) { return 0 }\n')
  const flat = await spawnCli(['map', '--job', notArray], dir, { stdin: 'a\n' })
  t.equal(flat.code, 2)
  t.match(flat.stderr, /map at -:1: with groupBy = 1, a key must be an array of at least 1 element .*; got "a"/)
})

t.test('a phase making progress says so to Hadoop (reporter:status:), at most every --status-every seconds', async t => {
  const dir = t.testdir()
  const job = join(dir, 'hot.mjs')
  writeFileSync(job, 'export function map (l, emit) { emit(l.length > 4 ? "long\\tkey" : "short", l) }\nexport function reduce (k, vs) { let n = 0; for (const v of vs) n++; return n }\nexport const combine = (k, vs, emit) => { for (const v of vs) emit(k, v) }\n')
  // (at --status-every 0, a status line at least every 256 lines read)
  const pairs = await sh(`seq 20000 | mrs map --job ${job} -q | sort -s -t$'\\t' -k1,1 > pairs`, dir)
  t.equal(pairs.code, 0, pairs.stderr)
  for (const phase of ['combine', 'reduce']) {
    const r = await sh(`mrs ${phase} --job ${job} --status-every 0 < pairs > out`, dir)
    t.equal(r.code, 0, `${phase}: exit 0`)
    const statuses = r.stderr.split('\n').filter(l => l.startsWith('reporter:status:'))
    t.ok(statuses.length > 2, `${phase}: status lines (${statuses.length})`)
    const line = new RegExp(`^reporter:status:mrstream ${phase}: \\d+ lines read, (0 keys, 0 lines written|[12] keys, \\d+ lines written, at key ("long\\\\tkey"|"short"))$`)
    t.ok(statuses.every(s => line.test(s)), `${phase}: what it has done, and its key`)
    t.ok(statuses.some(s => s.endsWith('at key "long\\tkey"')), `${phase}: a key's tab escaped (a status is one line)`)
    const quiet = await sh(`mrs ${phase} --job ${job} -q --status-every 0 < pairs | cmp - out`, dir)
    t.equal(quiet.code, 0, `${phase}: the same output with or without status lines`)
    t.equal(quiet.stderr, '', `${phase}: -q: none`)
  }
  const map = await sh(`seq 10000 | mrs map --job ${job} --status-every 0 > /dev/null`, dir)
  t.match(map.stderr, /^reporter:status:mrstream map: \d+ records read, \d+ lines written$/m, 'map too')
})
