// The command line's inputs and outputs (docs/cli.md): stdout closed early or slow, -o FILE,
// -o DIR --reducers N, -o onto links, devices and pipes, input formats, gzip, stdin, ctx.file
// and ctx.line across splits, --progress. Every test spawns the built binary with a fresh
// --tmp-dir and checks that it holds nothing afterwards.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { spawn } from './helpers/children.js'
import { STACK_LINE, cliArgv, interruptAfter, job, mrs, spawnCli, text, wordCount } from './helpers/cli.js'
import { chmodSync, closeSync, existsSync, lstatSync, mkdtempSync, openSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const ndjsonLines = (s: string): unknown[] => s.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as unknown)

t.test('stdout closed early (| head -1) is a clean stop', async t => {
  const dir = t.testdir()
  const lines: string[] = []
  for (let i = 1; i <= 150_000; i++) lines.push(`w${i}`)
  writeFileSync(join(dir, 'in.txt'), lines.join('\n') + '\n')
  const tmp = mkdtempSync(join(dir, 'tmp-'))
  const [cmd, argv] = cliArgv(['--job', job('wordcount-named.mjs'), '--memory', '1MB', '--tmp-dir', tmp, 'in.txt'])
  const child = spawn(cmd, argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  const err: Buffer[] = []
  child.stderr.on('data', (b: Buffer) => err.push(b))
  let first = ''
  let got = ''
  child.stdout.on('data', (b: Buffer) => {
    got += b.toString('utf8')
    const nl = got.indexOf('\n')
    if (nl !== -1 && first === '') {
      first = got.slice(0, nl)
      child.stdout.destroy() // the reader goes away, as `head -1` does
    }
  })
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve => child.on('close', (c, s) => resolve([c, s])))
  const stderr = Buffer.concat(err).toString('utf8')
  t.equal(first, 'w1\t1', 'the first line was read')
  t.equal(signal, null, 'not killed by a signal (SIGPIPE)')
  t.equal(code, 0, 'exit 0')
  t.notMatch(stderr, STACK_LINE, 'no stack trace on stderr')
  t.notMatch(stderr, /EPIPE|error/i, 'no error on stderr')
  t.same(readdirSync(tmp), [], 'temp dir cleaned')
})

t.test('stdout to a slow pipe: every byte arrives before exit', async t => {
  // The last MB of output could still be in stdout's buffer (a pipe's writes can wait there)
  // when the process exited: `mrstream ... | (sleep 1; cat)` lost the last 0.3 MB of 10 MB.
  const dir = t.testdir()
  const lines: string[] = []
  for (let i = 0; i < 150_000; i++) lines.push(`${(i * 7919) % 150_000} ${'x'.repeat(60)}`)
  writeFileSync(join(dir, 'in.txt'), lines.join('\n') + '\n')
  // identity.mjs: each line (all distinct, ASCII) is a key, its value [line number]
  const expected = Buffer.from(lines.map((l, i) => [l, i + 1] as const).sort(([a], [b]) => (a < b ? -1 : 1)).map(([l, n]) => `${l}\t[${n}]\n`).join(''))
  const [cmd, argv] = cliArgv(['--job', job('identity.mjs'), '-q', 'in.txt'])
  const shell = `${[cmd, ...argv].map(a => `'${a}'`).join(' ')} | (sleep 1; cat > piped.txt)`
  const code = await new Promise<number | null>(resolve => spawn('sh', ['-c', shell], { cwd: dir, stdio: 'ignore' }).on('close', resolve))
  t.equal(code, 0)
  t.ok(expected.length > 10e6, 'over 10 MB of output')
  t.equal(readFileSync(join(dir, 'piped.txt')).compare(expected), 0, 'the pipe got all of it')
})

t.test('-o FILE: written on success, untouched on failure', async t => {
  const input = text(200, 7)
  const dir = t.testdir({ 'in.txt': input, 'bad.txt': 'one\ntwo\nthree\n' })
  const r = await mrs(t, dir, ['--job', job('wordcount-named.mjs'), '-o', 'out.txt', '-q', 'in.txt'])
  t.equal(r.code, 0, 'exit 0')
  t.equal(r.stdout, '', 'nothing on stdout')
  t.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), wordCount(input), 'the file holds the output')
  writeFileSync(join(dir, 'out.txt'), 'precious\n')
  const failed = await mrs(t, dir, ['--job', job('map-throws.mjs'), '-o', 'out.txt', 'bad.txt'])
  t.equal(failed.code, 1, 'map threw: exit 1')
  t.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), 'precious\n', 'the existing file is untouched')
  const fresh = await mrs(t, dir, ['--job', job('map-throws.mjs'), '-o', 'new.txt', 'bad.txt'])
  t.equal(fresh.code, 1)
  t.notOk(existsSync(join(dir, 'new.txt')), 'no output file is created on failure')
  t.same(readdirSync(dir).filter(f => !f.startsWith('tmp-')).sort(), ['bad.txt', 'in.txt', 'out.txt'], 'no stray files beside the output')
})

t.test('ctx.line and error lines are absolute in every split of a file (the count publishes them)', async t => {
  // 2 MB, 2 workers: two splits, the second's first line number comes from the main thread's count
  const lines = Array.from({ length: 40_000 }, (_, i) => `row ${i + 1} ${'x'.repeat(i % 70)}`)
  const dir = t.testdir({ 'in.txt': lines.join('\n') + '\n' })
  const r = await mrs(t, dir, ['-m', '(l, emit, ctx) => emit(ctx.line, l)', '-r', 'first', '--workers', '2', '--memory', '1MB', '-q', 'in.txt'])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, lines.map((l, i) => `${i + 1}\t${l}\n`).join(''), 'each record with its line number')
  const bad = await mrs(t, dir, ['-m', '(l, emit) => { if (l.startsWith("row 39000 ")) throw new Error("no"); emit(l, 1) }', '-r', 'sum', '--workers', '2', '--memory', '1MB', 'in.txt'])
  t.equal(bad.code, 1)
  t.match(bad.stderr, /in\.txt:39000\b/, 'the error names the absolute line')
})

t.test('ctx looks as a plain object to the job: spread, keys, assignment', async t => {
  const dir = t.testdir({ 'two.txt': 'a\nb\n' })
  const r = await mrs(t, dir, ['-m', '(l, emit, ctx) => { const seen = JSON.stringify({ ...ctx }) + " " + Object.keys(ctx).sort().join(","); ctx.line = 7; emit(l, seen + " " + ctx.line) }', '-r', 'first', '-q', 'two.txt'])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'a\t{"file":"two.txt","line":1} count,file,line 7\nb\t{"file":"two.txt","line":2} count,file,line 7\n')
})

t.test('a failed count of lines is the error named, not a task waiting for a line number', async t => {
  // the second split's task reads ctx.line and waits for the count (15M short lines take it
  // longer than a worker takes to start), which fails first on a long line
  const dir = t.testdir({ 'long.txt': '\n'.repeat(15_000_000) + 'y'.repeat(5000) + '\n' + '\n'.repeat(25_000_000) })
  for (let i = 0; i < 2; i++) {
    const r = await mrs(t, dir, ['-m', '(l, emit, ctx) => { if (ctx.line % 1000000 === 0) emit("k", 1) }', '-r', 'sum', '--workers', '2', '--max-line-bytes', '1000', 'long.txt'])
    t.equal(r.code, 1, 'exit 1')
    t.match(r.stderr, /^mrstream: long\.txt:15000001: line longer than --max-line-bytes 1000/, 'names the line')
    t.notMatch(r.stderr, /could not be counted/)
  }
})

t.test('--progress counts the input the map tasks read, a retried task\'s once', async t => {
  // 2 MB read by two split tasks, slowly (a pause of 1.5 ms every 10 lines: about 2 s, not
  // spent on the CPU); one task's worker dies once, half-way
  const line = 'x'.repeat(99)
  const dir = t.testdir({ 'in.txt': (line + '\n').repeat(20_000) })
  writeFileSync(join(dir, 'slow.mjs'), `import { existsSync, writeFileSync } from 'node:fs'
const pause = new Int32Array(new SharedArrayBuffer(4))
export function map (l, emit, ctx) {
  if (ctx.line % 10 === 0) Atomics.wait(pause, 0, 0, 1.5)
  if (ctx.line === 15000 && !existsSync('crashed')) { writeFileSync('crashed', ''); process.exit(1) }
  emit('n', 1)
}
export const reduce = (k, vs) => { let n = 0; for (const v of vs) n += v; return n }
`)
  const r = await mrs(t, dir, ['--job', 'slow.mjs', '--progress', '--workers', '2', '--memory', '1MB', 'in.txt'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^n\t20000\n$/)
  const read = [...r.stderr.matchAll(/map .*?(\d+)% {2}([\d.]+) (B|KB|MB) of 1\.91 MB/g)].map(m => [Number(m[1]), Number(m[2]) * (m[3] === 'MB' ? 1024 : m[3] === 'KB' ? 1 : 1 / 1024)])
  t.ok(read.length > 0, 'status lines while mapping')
  t.ok(read.every(([percent, kb]) => percent! <= 100 && kb! <= 1.91 * 1024), `never more than the input's 1.9 MB: ${read.join(' ')}`)
  t.match(r.stderr, /^mrstream: done in .*, 1 task retry\b/m)
})

t.test('a line over --max-line-bytes in any split fails the job, named, whether or not lines are counted', async t => {
  const short = Array.from({ length: 20_000 }, (_, i) => `row ${i}`)
  // in the second split, far from where it starts; and where the first split should end
  const late = [...short.slice(0, 15_000), 'y'.repeat(5000), ...short.slice(15_000)]
  const middle = [...short.slice(0, 1000), 'z'.repeat(200_000), ...short.slice(0, 1000)]
  const dir = t.testdir({ 'late.txt': late.join('\n') + '\n', 'middle.txt': middle.join('\n') + '\n' })
  for (const [file, line] of [['late.txt', 15001], ['middle.txt', 1001]] as const) {
    const r = await mrs(t, dir, ['-m', '(l, emit) => emit(l.length, 1)', '-r', 'sum', '--workers', '2', '--memory', '1MB', '--max-line-bytes', '4KB', file])
    t.equal(r.code, 1, `${file}: exit 1`)
    t.match(r.stderr, new RegExp(`^mrstream: ${file.replace('.', '\\.')}:${line}: line longer than --max-line-bytes 4096`), `${file}: names line ${line}`)
    t.equal(r.stdout, '', `${file}: no output`)
  }
})

t.test('stdout redirected to a file (> and >>) gets the whole output, several fragments in order', async t => {
  // lines as keys: runs of many blocks, so the key space splits into several reduce tasks
  const input = text(20_000, 11)
  const counts = new Map<string, number>()
  for (const l of input.split('\n').slice(0, -1)) counts.set(l, (counts.get(l) ?? 0) + 1)
  const want = [...counts].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b))).map(([l, n]) => `${l}\t${n}\n`).join('')
  const dir = t.testdir({ 'in.txt': input })
  const args = ['-m', '(l, emit) => emit(l, 1)', '-r', 'sum', '--workers', '2', '--memory', '256KB', '-q', 'in.txt']
  for (const [flag, before] of [['w', ''], ['a', 'already here\n']] as const) {
    const path = join(dir, `out-${flag}.txt`)
    writeFileSync(path, before)
    const fd = openSync(path, flag)
    const tmp = mkdtempSync(join(dir, 'tmp-'))
    try {
      const r = await spawnCli([...args, '--tmp-dir', tmp], dir, { stdout: fd })
      t.equal(r.code, 0, r.stderr)
    } finally { closeSync(fd) }
    t.equal(readFileSync(path, 'utf8'), before + want, flag === 'a' ? '>>: after what the file held' : '>: the output')
    t.same(readdirSync(tmp), [], 'temp dir removed')
  }
})

t.test('-o DIR --reducers 3: part files and _SUCCESS', async t => {
  const input = text(3000, 11)
  const dir = t.testdir({ 'in.txt': input })
  const r = await mrs(t, dir, ['--job', job('wordcount-named.mjs'), '--memory', '64KB', '-o', 'out', '--reducers', '3', '-q', 'in.txt'])
  t.equal(r.code, 0, 'exit 0')
  t.equal(r.stdout, '', 'nothing on stdout')
  t.same(readdirSync(join(dir, 'out')).sort(), ['_SUCCESS', 'part-00000', 'part-00001', 'part-00002'], 'three parts and _SUCCESS')
  t.equal(readFileSync(join(dir, 'out', '_SUCCESS'), 'utf8'), '', '_SUCCESS is empty')
  // the child inherits this process's umask
  t.equal(statSync(join(dir, 'out')).mode & 0o777, 0o777 & ~process.umask(), 'the directory gets the umask (as mkdir would), not 0700')
  const all: string[] = []
  for (const p of ['part-00000', 'part-00001', 'part-00002']) {
    const lines = readFileSync(join(dir, 'out', p), 'utf8').split('\n')
    t.equal(lines.pop(), '', `${p} ends with a newline`)
    t.ok(lines.length > 0, `${p} is not empty`)
    const keys = lines.map(l => Buffer.from(l.split('\t')[0]!))
    t.ok(keys.every((k, i) => i === 0 || Buffer.compare(keys[i - 1]!, k) < 0), `${p} is sorted by key`)
    all.push(...lines)
  }
  t.same(all.sort(), wordCount(input).split('\n').filter(Boolean).sort(), 'the parts hold the word count\'s lines')
  const again = await mrs(t, dir, ['--job', job('wordcount-named.mjs'), '-o', 'out', '--reducers', '3', 'in.txt'])
  t.equal(again.code, 2, 'an existing DIR: exit 2')
  t.match(again.stderr, /out/, 'names the directory')
  t.equal(readFileSync(join(dir, 'out', '_SUCCESS'), 'utf8'), '', 'the existing directory is untouched')
})

t.test('--format ndjson', async t => {
  const dir = t.testdir({
    'n.ndjson': '{"a":1}\n\n   \n{"b":[1,2]}\n"s"\n',
    'bad.ndjson': '{"a":1}\n{"b":1,}\n{"c":3}\n',
  })
  const r = await mrs(t, dir, ['--job', job('place.mjs'), '--format', 'ndjson', '--output-format', 'ndjson', '-q', 'n.ndjson'])
  t.equal(r.code, 0)
  t.same(ndjsonLines(r.stdout), [['n.ndjson:1', [{ a: 1 }]], ['n.ndjson:4', [{ b: [1, 2] }]], ['n.ndjson:5', ['s']]], 'parsed records; blank lines skipped')
  const bad = await mrs(t, dir, ['--job', job('place.mjs'), '--format', 'ndjson', 'bad.ndjson'])
  t.equal(bad.code, 1, 'a malformed line: exit 1')
  t.match(bad.stderr, /bad\.ndjson:2:8\b/, 'names file:line:column')
  t.equal(bad.stdout, '')
  const skipped = await mrs(t, dir, ['--job', job('place.mjs'), '--format', 'ndjson', '--max-bad-records', '1', '--stats', 'stats.json', '--output-format', 'ndjson', 'bad.ndjson'])
  t.equal(skipped.code, 0, 'with --max-bad-records 1: exit 0')
  t.same(ndjsonLines(skipped.stdout), [['bad.ndjson:1', [{ a: 1 }]], ['bad.ndjson:3', [{ c: 3 }]]], 'the other records')
  t.match(skipped.stderr, /^mrstream: done in .*, 1 bad record skipped\b/m, 'counted')
  const stats = JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf8')) as { counters: Record<string, number>, badRecords: Array<{ file: string, line: number }> }
  t.equal(stats.counters.badRecords, 1)
  t.same(stats.badRecords.map(b => [b.file, b.line]), [['bad.ndjson', 2]])
})

t.test('--format ndjson: the column of a JSON error V8 gives no position for', { todo: 'engine bug: Node 20\'s JSON.parse says "Unexpected token \'}\', ... is not valid JSON" without a position, and lib/records.ts then names only file:line' }, async t => {
  const dir = t.testdir({ 'bad.ndjson': '{"a":1}\n{"b": tru}\n' })
  const r = await mrs(t, dir, ['--job', job('place.mjs'), '--format', 'ndjson', 'bad.ndjson'])
  t.equal(r.code, 1)
  t.match(r.stderr, /bad\.ndjson:2:\d+\b/, 'names file:line:column')
})

t.test('--format csv', async t => {
  const dir = t.testdir({ 'c.csv': 'name,note\nann,"hello, world"\nbob,"line1\nline2"\ncid,plain\n' })
  const r = await mrs(t, dir, ['--job', job('place.mjs'), '--format', 'csv', '--output-format', 'ndjson', '-q', 'c.csv'])
  t.equal(r.code, 0)
  t.same(ndjsonLines(r.stdout), [
    ['c.csv:2', [{ name: 'ann', note: 'hello, world' }]],
    ['c.csv:3', [{ name: 'bob', note: 'line1\nline2' }]],
    ['c.csv:5', [{ name: 'cid', note: 'plain' }]],
  ], 'one object per row, keyed by the header; quoted comma and newline kept')
})

t.test('--format csv: each row\'s line is where it starts, past blank lines, skipped rows and CRLFs in quotes', async t => {
  const dir = t.testdir({
    'blank.csv': 'a,b\n1,x\n\n2,y\n\n\n3,z\n',
    'bad.csv': 'a,b\n1,x\n9,9,9\n2,y\n',
    'crlf.csv': 'id,text\r\n0,"a\r\nb"\r\n1,t1\r\n\r\n2,t2\r\n',
    'utf8.csv': 'a,b\n1,"é😀\nx"\n\n2,y',
  })
  const lines = async (file: string, ...flags: string[]): Promise<string[]> => {
    const r = await mrs(t, dir, ['--job', job('place.mjs'), '--format', 'csv', '--output-format', 'ndjson', '-q', ...flags, file])
    t.equal(r.code, 0, r.stderr)
    return (ndjsonLines(r.stdout) as Array<[string, unknown]>).map(([at]) => at)
  }
  t.same(await lines('blank.csv'), ['blank.csv:2', 'blank.csv:4', 'blank.csv:7'], 'blank lines are counted, not charged to the next row')
  t.same(await lines('bad.csv', '--max-bad-records', '1'), ['bad.csv:2', 'bad.csv:4'], 'a skipped row is counted')
  t.same(await lines('crlf.csv'), ['crlf.csv:2', 'crlf.csv:4', 'crlf.csv:6'], 'a CRLF inside quotes is one line')
  t.same(await lines('utf8.csv'), ['utf8.csv:2', 'utf8.csv:5'], 'non-ASCII before a row')
  writeFileSync(join(dir, 'crlf-bad.csv'), 'id,text\r\n0,"a\r\nb"\r\n9,9,9\r\n1,t1\r\n')
  t.same(await lines('crlf-bad.csv', '--max-bad-records', '1', '--stats', 'stats.json'), ['crlf-bad.csv:2', 'crlf-bad.csv:5'])
  const stats = JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf8')) as { badRecords: Array<{ line: number }> }
  t.same(stats.badRecords.map(b => b.line), [4], 'a skipped row\'s line, past a CRLF inside quotes')
  writeFileSync(join(dir, 'throw.csv'), 'a,b\n\n1,x\n') // map-throws.mjs throws on line 3
  const failed = await mrs(t, dir, ['--job', job('map-throws.mjs'), '--format', 'csv', 'throw.csv'])
  t.equal(failed.code, 1)
  t.match(failed.stderr, /map failed at throw\.csv:3: Error: record rejected/, 'errors name the row\'s line')
  t.same(stats.badRecords.map(b => (b as { record?: string }).record), ['9,9,9'], 'a skipped row\'s text is listed')
  // csv-parse counts lines from the chunk it parsed: its own numbers are not in the message
  const wide = await mrs(t, dir, ['--job', job('place.mjs'), '--format', 'csv', 'bad.csv'])
  t.match(wide.stderr, /cannot parse bad\.csv:3: invalid CSV: Invalid Record Length: columns length is 2, got 3$/m)
  writeFileSync(join(dir, 'quote.csv'), 'a,b\n' + Array.from({ length: 500 }, (_, i) => `${i},x\n`).join('') + '1,"multi\nline"\n"oops,1\n7,8\n')
  const quote = await mrs(t, dir, ['--job', job('place.mjs'), '--format', 'csv', 'quote.csv'])
  t.equal(quote.code, 1)
  t.match(quote.stderr, /cannot parse quote\.csv:504: invalid CSV: Quote Not Closed/, 'an unclosed quote names the line it opens on')
  const skippedQuote = await mrs(t, dir, ['--job', job('place.mjs'), '--format', 'csv', '--max-bad-records', '1', '--stats', 'quote.json', '-q', 'quote.csv'])
  t.equal(skippedQuote.code, 0, skippedQuote.stderr)
  t.same((JSON.parse(readFileSync(join(dir, 'quote.json'), 'utf8')) as { badRecords: Array<{ line: number }> }).badRecords.map(b => b.line), [504])
})

t.test('--format file', async t => {
  const dir = t.testdir({ docs: { 'a.txt': 'doc one\nline two\n', 'b.txt': 'doc b, no newline', 'c.txt': '' } })
  const r = await mrs(t, dir, ['--job', job('place.mjs'), '--format', 'file', '--output-format', 'ndjson', '-q', 'docs/a.txt', 'docs/b.txt', 'docs/c.txt'])
  t.equal(r.code, 0)
  t.same(ndjsonLines(r.stdout), [['docs/a.txt:1', ['doc one\nline two\n']], ['docs/b.txt:1', ['doc b, no newline']], ['docs/c.txt:1', ['']]], 'one record per file, an empty one too; ctx.file is the name given')
})

t.test('gzip input by name and by magic bytes', async t => {
  const plain = 'x y\nz\n'
  const dir = t.testdir({ 'in.txt': plain })
  writeFileSync(join(dir, 'in.txt.gz'), gzipSync(plain))
  writeFileSync(join(dir, 'packed'), gzipSync(plain))
  const base = await mrs(t, dir, ['--job', job('identity.mjs'), '-q', 'in.txt'])
  const byName = await mrs(t, dir, ['--job', job('identity.mjs'), '-q', 'in.txt.gz'])
  const byMagic = await mrs(t, dir, ['--job', job('identity.mjs'), '-q', 'packed'])
  t.equal(base.stdout, 'x y\t[1]\nz\t[2]\n')
  t.equal(byName.code, 0)
  t.equal(byName.stdout, base.stdout, '.gz by name')
  t.equal(byMagic.code, 0)
  t.equal(byMagic.stdout, base.stdout, 'gzip by magic bytes')
  const fromStdin = await mrs(t, dir, ['--job', job('identity.mjs'), '-q', '-'], gzipSync(plain))
  t.equal(fromStdin.stdout, base.stdout, 'gzip on stdin')
})

t.test('stdin, and several inputs with ctx.file and ctx.line', async t => {
  const dir = t.testdir({ 'a.txt': 'a1\na2\na3\n', sub: { 'b.txt': 'b1\nb2' } })
  const dash = await mrs(t, dir, ['--job', job('place.mjs'), '-q', '-'], 'p\nq\n')
  t.equal(dash.stdout, '-:1\t["p"]\n-:2\t["q"]\n', '- is stdin, named -')
  const none = await mrs(t, dir, ['--job', job('place.mjs'), '-q'], 'p\nq\n')
  t.equal(none.stdout, dash.stdout, 'no input means stdin')
  const many = await mrs(t, dir, ['--job', job('place.mjs'), '--workers', '2', '-q', 'a.txt', '-', 'sub/b.txt'], 's1\ns2\n')
  t.equal(many.code, 0)
  t.equal(many.stdout, [
    '-:1\t["s1"]', '-:2\t["s2"]',
    'a.txt:1\t["a1"]', 'a.txt:2\t["a2"]', 'a.txt:3\t["a3"]',
    'sub/b.txt:1\t["b1"]', 'sub/b.txt:2\t["b2"]',
  ].join('\n') + '\n', 'every record tagged with its own file and line')
})

t.test('tsv lines written straight to the buffer equal the formatted ones', async t => {
  const { formatPair } = await import('../dist/lib/output/format.js')
  const dir = t.testdir()
  const pairs: Array<[string, unknown]> = [
    ['plain', 'v'], ['tab\tkey', 'v'], ['k1', 'tab\tvalue'], ['back\\slash', 'cr\rlf\n'], ['k2', ''], ['', 'empty key'],
    ['žluťoučký 🐎', 'kůň 🐎'], ['n1', -0], ['n2', NaN], ['n3', 1e21], ['n4', -5], ['n5', 0.1], ['n6', Infinity],
    ['big'.repeat(200_000), 'big value'], ['k3', 'x\\'.repeat(200_000)], ['arr', [1, 'a\tb']], ['nul\u0000key', 7],
  ]
  writeFileSync(join(dir, 'in.ndjson'), pairs.map(p => JSON.stringify([p[0], typeof p[1] === 'number' && !Number.isFinite(p[1]) ? String(p[1]) : Object.is(p[1], -0) ? '-0' : p[1]])).join('\n') + '\n')
  const r = await mrs(t, dir, ['-m', '([k, v], emit) => emit(k, ["NaN", "Infinity", "-0"].includes(v) ? Number(v) : v)', '-r', 'first', '--format', 'ndjson', '-q', 'in.ndjson'])
  t.equal(r.code, 0)
  const want = pairs.slice().sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0]))).map(([k, v]) => formatPair('tsv', k, v)).join('')
  t.ok(r.stdout === want, 'every line as formatPair writes it')
})

t.test('--output-format ndjson and tsv escapes', async t => {
  const dir = t.testdir()
  const lines = ['tab\there', 'back\\slash', 'cr\rinside', 'plain']
  writeFileSync(join(dir, 'in.txt'), lines.join('\n') + '\n')
  const tsv = await mrs(t, dir, ['-m', '(l, emit) => emit(l, l)', '-r', 'first', '-q', 'in.txt'])
  t.equal(tsv.stdout, 'back\\\\slash\tback\\\\slash\ncr\\rinside\tcr\\rinside\nplain\tplain\ntab\\there\ttab\\there\n', 'tsv escapes \\, tab and CR')
  const nd = await mrs(t, dir, ['-m', '(l, emit, ctx) => emit([ctx.line % 2 === 0, l], { l, n: ctx.line })', '-r', 'first', '--output-format', 'ndjson', '-q', 'in.txt'])
  t.equal(nd.code, 0)
  t.same(ndjsonLines(nd.stdout), [
    [[false, 'cr\rinside'], { l: 'cr\rinside', n: 3 }],
    [[false, 'tab\there'], { l: 'tab\there', n: 1 }],
    [[true, 'back\\slash'], { l: 'back\\slash', n: 2 }],
    [[true, 'plain'], { l: 'plain', n: 4 }],
  ], '[key, value] lines, in key order')
})

t.test('-o onto a symlink, a device or a pipe writes through it, as sort -o does; a file keeps its mode', async t => {
  const input = text(50, 3)
  const want = wordCount(input)
  const dir = t.testdir({ 'in.txt': input, 'real.txt': 'old\n' })
  symlinkSync('real.txt', join(dir, 'link.txt'))
  const link = await mrs(t, dir, ['--job', job('wordcount-named.mjs'), '-o', 'link.txt', '-q', 'in.txt'])
  t.equal(link.code, 0, link.stderr)
  t.ok(lstatSync(join(dir, 'link.txt')).isSymbolicLink(), 'the link stays a link')
  t.equal(readFileSync(join(dir, 'real.txt'), 'utf8'), want, 'its target holds the output')
  symlinkSync('made.txt', join(dir, 'dangling.txt'))
  await mrs(t, dir, ['--job', job('wordcount-named.mjs'), '-o', 'dangling.txt', '-q', 'in.txt'])
  t.equal(readFileSync(join(dir, 'made.txt'), 'utf8'), want, 'a dangling link\'s target is made')
  chmodSync(join(dir, 'real.txt'), 0o640)
  await mrs(t, dir, ['--job', job('wordcount-named.mjs'), '-o', 'real.txt', '-q', 'in.txt'])
  t.equal(statSync(join(dir, 'real.txt')).mode & 0o777, 0o640, 'a file written again keeps its mode')
  const stdout = await mrs(t, dir, ['--job', job('wordcount-named.mjs'), '-o', '/dev/stdout', '-q', 'in.txt'])
  t.equal(stdout.code, 0, stdout.stderr)
  t.equal(stdout.stdout, want, '-o /dev/stdout writes to stdout')
  t.ok(lstatSync('/dev/stdout').isSymbolicLink(), '/dev/stdout is still a link')
  const full = await mrs(t, dir, ['--job', job('wordcount-named.mjs'), '-o', '/dev/full', '-q', 'in.txt'])
  t.equal(full.code, 1)
  t.match(full.stderr, /^mrstream: output: cannot write \/dev\/full: No space left on device \(ENOSPC\)$/m)
  t.ok(statSync('/dev/full').isCharacterDevice(), '/dev/full is still a device')
  execFileSync('mkfifo', [join(dir, 'fifo')])
  const reader = spawn('cat', [join(dir, 'fifo')])
  const got: Buffer[] = []
  reader.stdout.on('data', (b: Buffer) => got.push(b))
  const read = new Promise(resolve => reader.on('close', resolve))
  const fifo = await mrs(t, dir, ['--job', job('wordcount-named.mjs'), '-o', 'fifo', '-q', 'in.txt'])
  await Promise.race([read, new Promise(resolve => setTimeout(resolve, 10_000))]) // (a run that never opened it)
  reader.kill()
  t.equal(fifo.code, 0, fifo.stderr)
  t.equal(Buffer.concat(got).toString('utf8'), want, 'a named pipe\'s reader gets the output')
  t.ok(lstatSync(join(dir, 'fifo')).isFIFO(), 'the pipe is still a pipe')
})

t.test('-o onto a pipe nobody reads: SIGINT still stops the run, temp dir removed; a dangling link with --reducers is refused first', async t => {
  const dir = t.testdir({ 'in.txt': 'a b\n' })
  execFileSync('mkfifo', [join(dir, 'fifo')])
  const tmp = mkdtempSync(join(dir, 'tmp-'))
  const { exit, signal } = await interruptAfter(['--job', job('wordcount-named.mjs'), '-o', 'fifo', '--tmp-dir', tmp, '--workers', '1', 'in.txt'], dir, 3000)
  t.ok(exit === 130 || signal === 'SIGINT', `exit 130 or killed by SIGINT (got exit ${exit}, signal ${signal})`)
  t.same(readdirSync(tmp), [], 'temp dir removed')
  symlinkSync('nowhere', join(dir, 'dangling'))
  const r = await mrs(t, dir, ['--job', job('wordcount-named.mjs'), '-o', 'dangling', '--reducers', '2', 'in.txt'])
  t.equal(r.code, 2, 'refused before the job runs')
  t.match(r.stderr, /output directory dangling already exists/)
})

t.test('-o into a directory the user cannot write is refused before the job runs', { skip: process.getuid?.() === 0 ? 'root may write anywhere' : false }, async t => {
  const dir = t.testdir({ 'in.txt': 'a\n', ro: {} })
  chmodSync(join(dir, 'ro'), 0o555)
  t.teardown(() => chmodSync(join(dir, 'ro'), 0o755))
  const r = await mrs(t, dir, ['--job', job('wordcount-named.mjs'), '-o', 'ro/out.txt', 'in.txt'])
  t.equal(r.code, 2)
  t.match(r.stderr, /output ro\/out.txt: directory .*ro is not writable/)
})

t.test('an output directory argument checks', async t => {
  const dir = t.testdir({ 'in.txt': 'a\n', existing: {} })
  const r = await mrs(t, dir, ['--job', job('wordcount-named.mjs'), '-o', 'existing', 'in.txt'])
  t.equal(r.code, 2, '-o DIR without --reducers: exit 2')
  const noParent = await mrs(t, dir, ['--job', job('wordcount-named.mjs'), '-o', 'missing/out.txt', 'in.txt'])
  t.equal(noParent.code, 2, '-o in a folder that does not exist: exit 2')
})
