// Larger than RAM, faults and bad input (docs/guarantees.md, docs/cli.md): what the reader does with odd bytes (BOM,
// CRLF, lone CR, no final newline, invalid UTF-8, NUL), inputs that cannot be read, lines too
// long, corrupted runs, signals, a full disk, and prototype pollution. Every run gets a
// fresh --tmp-dir that must hold nothing afterwards, and no output file may appear on failure.
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { spawn } from './helpers/children.js'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { readFooter } from '../dist/lib/runs/run-format.js'
import { RunReader } from '../dist/lib/runs/run-reader.js'
import { RunWriter } from '../dist/lib/runs/run-writer.js'
import { encodeKey } from '../dist/lib/codec/keys.js'
import { cliArgv, interruptAfter, spawnCli, type Result } from './helpers/cli.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const job = (name: string): string => join(root, 'test', 'fixtures', 'jobs', name)

/** Runs mrstream in dir (one worker unless args say) with a fresh --tmp-dir, checked empty after. */
async function mrs (
  t: Test,
  dir: string,
  args: string[],
  opts: { stdin?: string | Buffer, vars?: Record<string, string>, stdout?: number } = {}
): Promise<Result> {
  const tmp = mkdtempSync(join(dir, 'tmp-'))
  const workers = args.includes('--workers') ? [] : ['--workers', '1']
  const r = await spawnCli([...args, ...workers, '--tmp-dir', tmp], dir, opts)
  t.same(readdirSync(tmp), [], `--tmp-dir is empty after: mrstream ${args.join(' ')}`)
  return r
}

const ndjson = (s: string): unknown[] => s.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as unknown)
const STACK_LINE = /^\s+at /m

/** Deterministic text of `lines` lines of words. */
function text (lines: number, seed = 1): string {
  let x = seed
  const next = (): number => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x >>> 8 }
  const words = ['ant', 'bee', 'cat', 'dog', 'eel', 'fox', 'gnu', 'hen', '\u00e9t\u00e9', '\u4e2d', '\u{1f600}']
  const out: string[] = []
  for (let i = 0; i < lines; i++) {
    const n = next() % 6
    const ws: string[] = []
    for (let j = 0; j < n; j++) ws.push(words[next() % words.length]! + String(next() % 20))
    out.push(ws.join(' '))
  }
  return out.join('\n') + '\n'
}

t.test('BOM, CRLF, lone CR and the last line without a newline', async t => {
  const dir = t.testdir()
  writeFileSync(join(dir, 'odd.txt'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('abc\nd\r\ne\rf\n\nlast')]))
  const r = await mrs(t, dir, ['--job', job('identity.mjs'), '--output-format', 'ndjson', '-q', 'odd.txt'])
  t.equal(r.code, 0)
  t.same(ndjson(r.stdout), [['', [4]], ['abc', [1]], ['d', [2]], ['e\rf', [3]], ['last', [5]]],
    'BOM stripped; CRLF ends a line; a lone CR stays; an empty line is a record; the last line is a record')

  const lf = text(2000, 3)
  writeFileSync(join(dir, 'lf.txt'), lf)
  writeFileSync(join(dir, 'crlf.txt'), lf.replaceAll('\n', '\r\n'))
  writeFileSync(join(dir, 'bom-crlf.txt'), '\ufeff' + lf.replaceAll('\n', '\r\n'))
  const a = await mrs(t, dir, ['--job', job('identity.mjs'), '--memory', '64KB', '-q', 'lf.txt'])
  const b = await mrs(t, dir, ['--job', job('identity.mjs'), '--memory', '64KB', '-q', 'crlf.txt'])
  const c = await mrs(t, dir, ['--job', job('identity.mjs'), '--memory', '64KB', '-q', 'bom-crlf.txt'])
  t.equal(a.code, 0)
  t.ok(a.stdout.length > 10_000, 'a real output')
  t.equal(b.stdout, a.stdout, 'CRLF input gives the same output as LF')
  t.equal(c.stdout, a.stdout, 'BOM + CRLF input gives the same output as LF')

  const records = ['{"a":1}', '', '{"b":"x\\r"}', '[1,2]']
  writeFileSync(join(dir, 'lf.ndjson'), records.join('\n') + '\n')
  writeFileSync(join(dir, 'crlf.ndjson'), '\ufeff' + records.join('\r\n'))
  const byLine = ['-m', '(r, emit, ctx) => emit(ctx.line, r)', '-r', 'list', '--format', 'ndjson', '--output-format', 'ndjson', '-q']
  const n1 = await mrs(t, dir, [...byLine, 'lf.ndjson'])
  const n2 = await mrs(t, dir, [...byLine, 'crlf.ndjson'])
  t.equal(n1.code, 0)
  t.same(ndjson(n1.stdout), [[1, [{ a: 1 }]], [3, [{ b: 'x\r' }]], [4, [[1, 2]]]], 'ndjson records by line')
  t.equal(n2.stdout, n1.stdout, 'ndjson: BOM and CRLF as LF')
})

t.test('empty input: empty output, exit 0, reduce never called', async t => {
  const dir = t.testdir({ 'empty.txt': '' })
  writeFileSync(join(dir, 'bom-only.txt'), Buffer.from([0xef, 0xbb, 0xbf]))
  writeFileSync(join(dir, 'empty.gz'), gzipSync(Buffer.alloc(0)))
  for (const input of ['empty.txt', 'bom-only.txt', 'empty.gz', '-']) {
    const r = await mrs(t, dir, ['--job', job('reduce-never.mjs'), '--stats', 'stats.json', input])
    t.equal(r.code, 0, `${input}: exit 0`)
    t.equal(r.stdout, '', `${input}: empty output`)
    t.notMatch(r.stderr, /reduce was called/, `${input}: reduce never called`)
    const stats = JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf8')) as { counters: Record<string, number> }
    t.equal(stats.counters.records, 0, `${input}: no records`)
    t.equal(stats.counters.keys, 0, `${input}: no keys`)
  }
  const toFile = await mrs(t, dir, ['--job', job('reduce-never.mjs'), '-o', 'out.txt', '-q', 'empty.txt'])
  t.equal(toFile.code, 0)
  t.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), '', '-o FILE: an empty file')
})

t.test('invalid UTF-8 becomes U+FFFD and is counted', async t => {
  const dir = t.testdir()
  writeFileSync(join(dir, 'bad.txt'), Buffer.concat([
    Buffer.from('ok\n'), Buffer.from([0xff, 0xfe]), Buffer.from('bad\nfine\n'), Buffer.from([0xc3]), Buffer.from('\n'),
    Buffer.from('caf\u00e9\n'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('\n'),
  ]))
  const r = await mrs(t, dir, ['--job', job('identity.mjs'), '--output-format', 'ndjson', '--stats', 'stats.json', '-v', 'bad.txt'])
  t.equal(r.code, 0, 'exit 0')
  const keys = ndjson(r.stdout).map(p => (p as [string, number[]])[0]).sort()
  t.same(keys, ['\ufffd', '\ufffd\ufffd\ufffd', '\ufffd\ufffdbad', 'caf\u00e9', 'fine', 'ok'].sort(), 'invalid bytes decode as U+FFFD')
  const stats = JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf8')) as { counters: Record<string, number> }
  t.equal(stats.counters.invalidUtf8, 3, '--stats: three records with invalid UTF-8')
  t.equal(stats.counters.records, 6)
  t.match(r.stderr, /records with invalid UTF-8\s+3\b/, 'the counter is printed')
})

t.test('NUL bytes survive in keys and values', async t => {
  const dir = t.testdir()
  const lines = ['a\u0000b', '\u0000', 'z\u0000\u0000', 'a', 'a\u0000']
  writeFileSync(join(dir, 'nul.txt'), lines.join('\n') + '\n')
  const r = await mrs(t, dir, ['-m', '(l, emit) => emit(l, [l, l + "\\u0000", { [l]: l }])', '-r', 'list', '--output-format', 'ndjson', '-q', 'nul.txt'])
  t.equal(r.code, 0)
  t.same(ndjson(r.stdout), ['\u0000', 'a', 'a\u0000', 'a\u0000b', 'z\u0000\u0000'].map(l => [l, [[l, l + '\u0000', { [l]: l }]]]), 'keys and values keep their NULs, keys in byte order')
  const tsv = await mrs(t, dir, ['-m', '(l, emit) => emit(l, l)', '-r', 'first', '-q', 'nul.txt'])
  t.equal(tsv.stdout, ['\u0000', 'a', 'a\u0000', 'a\u0000b', 'z\u0000\u0000'].map(l => `${l}\t${l}\n`).join(''), 'tsv writes NULs as they are')
})

t.test('a line longer than --max-line-bytes fails fast', async t => {
  const dir = t.testdir()
  const huge = Buffer.alloc(3 * 1024 * 1024, 'x')
  writeFileSync(join(dir, 'long.txt'), huge)
  writeFileSync(join(dir, 'middle.txt'), Buffer.concat([Buffer.from('short\n'), huge, Buffer.from('\nafter\n')]))
  for (const [file, line] of [['long.txt', 1], ['middle.txt', 2]] as const) {
    const r = await mrs(t, dir, ['--job', job('wordcount-named.mjs'), '--max-line-bytes', '1MB', '-o', 'out.txt', file])
    t.equal(r.code, 1, `${file}: exit 1`)
    t.match(r.stderr, file, `${file}: names the file`)
    t.match(r.stderr, new RegExp(`${file.replace('.', '\\.')}:${line}\\b`), `${file}: names the line`)
    t.match(r.stderr, /--max-line-bytes/, `${file}: names the option`)
    t.ok(r.ms < 10_000, `${file}: fails quickly (${r.ms} ms)`)
    t.notOk(existsSync(join(dir, 'out.txt')), `${file}: no output file`)
  }
})

t.test('a 3 MB line within --max-line-bytes is one record, and can be a key', async t => {
  const dir = t.testdir()
  const huge = 'x'.repeat(3 * 1024 * 1024)
  writeFileSync(join(dir, 'middle.txt'), `short\n${huge}\nafter\n`)
  const r = await mrs(t, dir, ['--job', job('wordcount-named.mjs'), '--max-line-bytes', '4MB', 'middle.txt'])
  t.equal(r.code, 0, 'exit 0')
  t.equal(r.stdout, `after\t1\nshort\t1\n${huge}\t1\n`, 'the long line is one record, its word one key')
  t.notMatch(r.stderr, /RangeError/, 'no internal error')
})

t.test('inputs that cannot be read fail before any work', async t => {
  const dir = t.testdir({ 'good.txt': 'a b\n', folder: {} })
  const marker = join(dir, 'map-ran')
  for (const [bad, expected] of [['missing.txt', /missing\.txt/], ['folder', /folder.*director|director.*folder/]] as const) {
    const r = await mrs(t, dir, ['--job', job('side-effect.mjs'), '-o', 'out.txt', 'good.txt', bad], { vars: { MRS_TEST_MARKER: marker } })
    t.equal(r.code, 1, `${bad}: exit 1`)
    t.match(r.stderr, expected, `${bad}: names the input`)
    t.notOk(existsSync(marker), `${bad}: map never ran (not even on the good input before it)`)
    t.notOk(existsSync(join(dir, 'out.txt')), `${bad}: no output file`)
    t.notMatch(r.stderr, STACK_LINE, `${bad}: no stack trace`)
  }
})

t.test('a truncated .gz fails with exit 1 and no output', async t => {
  const dir = t.testdir()
  const whole = gzipSync(text(20_000, 5))
  writeFileSync(join(dir, 'cut.gz'), whole.subarray(0, Math.floor(whole.length / 2)))
  writeFileSync(join(dir, 'cut-nohint'), whole.subarray(0, Math.floor(whole.length / 2)))
  writeFileSync(join(dir, 'tiny.gz'), whole.subarray(0, 20))
  for (const file of ['cut.gz', 'cut-nohint', 'tiny.gz']) {
    const r = await mrs(t, dir, ['--job', job('wordcount-named.mjs'), '--memory', '64KB', '-o', 'out.txt', file])
    t.equal(r.code, 1, `${file}: exit 1`)
    t.match(r.stderr, file, `${file}: names the file`)
    t.match(r.stderr, /truncated|unexpected end|Z_BUF_ERROR/i, `${file}: says it is truncated`)
    t.notOk(existsSync(join(dir, 'out.txt')), `${file}: no output file`)
  }
})

t.test('a corrupted run is detected (unit)', async t => {
  const dir = t.testdir()
  const path = join(dir, 'good.run')
  const w = new RunWriter(path, 'spill')
  const expected: unknown[] = []
  for (let i = 0; i < 3000; i++) {
    const k = 'key' + String(i).padStart(5, '0')
    const vs = [i, { s: k.repeat(3), n: [i, i * 2] }, 'v'.repeat(i % 50)]
    w.startGroup(encodeKey(k), vs.length)
    for (const v of vs) { w.value(v); expected.push(v) }
  }
  const info = w.close()
  t.ok(info.blocks.length >= 3, 'the run has several blocks')
  const readAll = (p: string, bufferBytes?: number): unknown[] => {
    const r = new RunReader(p, readFooter(p), 0, bufferBytes)
    const out: unknown[] = []
    try {
      while (r.nextGroup()) while (r.left > 0) out.push(r.nextValue())
    } finally { r.close() }
    return out
  }
  t.same(readAll(path), expected, 'the intact run reads back')
  const orig = readFileSync(path)
  const bodyEnd = readFooter(path).bodyEnd
  const corrupt = { code: 'MRS_ERR_RUN_CORRUPT' }

  // One flipped byte anywhere in the body: reading the run throws MRS_ERR_RUN_CORRUPT.
  const flipAt = (pos: number, name: string): string => {
    const bytes = Buffer.from(orig)
    bytes[pos] = bytes[pos]! ^ 0x5a
    const p = join(dir, name)
    writeFileSync(p, bytes)
    return p
  }
  let wrong = 0
  for (let i = 0; i < 40; i++) {
    const pos = Math.floor(((i + 0.5) * bodyEnd) / 40)
    const p = flipAt(pos, `flip-${i}.run`)
    try {
      readAll(p)
      wrong++
      t.fail(`byte ${pos} flipped: no error`)
    } catch (e) {
      if ((e as { code?: string }).code !== 'MRS_ERR_RUN_CORRUPT') { wrong++; t.fail(`byte ${pos} flipped: ${String(e)}`) }
    }
  }
  t.equal(wrong, 0, 'every flipped body byte is reported as MRS_ERR_RUN_CORRUPT (default read buffer)')

  // Truncations and a broken trailer are caught by readFooter.
  for (const size of [orig.length - 1, orig.length - 12, Math.floor(orig.length / 2), bodyEnd, 5, 0]) {
    const p = join(dir, `cut-${size}.run`)
    writeFileSync(p, orig)
    truncateSync(p, size)
    t.throws(() => readAll(p), corrupt, `truncated to ${size} bytes`)
  }
  t.throws(() => readAll(flipAt(orig.length - 1, 'magic.run')), corrupt, 'a flipped magic byte')
  t.throws(() => readAll(flipAt(orig.length - 12, 'footer-length.run')), corrupt, 'a footer length out of range')
  const cutBody = Buffer.concat([orig.subarray(0, 100), orig.subarray(200)])
  writeFileSync(join(dir, 'hole.run'), cutBody)
  t.throws(() => readAll(join(dir, 'hole.run')), corrupt, '100 bytes missing from the body')
  t.throws(() => readAll(join(dir, 'no-such.run')), corrupt, 'a missing run')
})

t.test('a corrupted run is detected before its values are used, with a small read buffer', async t => {
  const dir = t.testdir()
  const path = join(dir, 'good.run')
  const w = new RunWriter(path, 'spill')
  for (let i = 0; i < 3000; i++) {
    const k = 'key' + String(i).padStart(5, '0')
    w.startGroup(encodeKey(k), 2)
    w.value({ s: k.repeat(3), n: [i, i * 2] })
    w.value('v'.repeat(i % 50))
  }
  w.close()
  const orig = readFileSync(path)
  const bodyEnd = readFooter(path).bodyEnd
  let wrong = 0
  for (let i = 0; i < 100; i++) {
    const pos = Math.floor(((i + 0.5) * bodyEnd) / 100)
    const bytes = Buffer.from(orig)
    bytes[pos] = bytes[pos]! ^ 0x5a
    const p = join(dir, `flip-${i}.run`)
    writeFileSync(p, bytes)
    const r = new RunReader(p, readFooter(p), 0, 4096)
    try {
      while (r.nextGroup()) while (r.left > 0) r.nextValue()
      wrong++
    } catch (e) {
      if ((e as { code?: string }).code !== 'MRS_ERR_RUN_CORRUPT') wrong++
    } finally { r.close() }
  }
  t.equal(wrong, 0, 'every flipped byte is reported as MRS_ERR_RUN_CORRUPT')
})

/** Resolves when `dir` holds a mrstream temp dir with at least one file (spills started). */
async function spillsStarted (dir: string, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    for (const d of readdirSync(dir)) {
      try { if (readdirSync(join(dir, d)).length > 0) return true } catch {}
    }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return false
}

for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  t.test(`${sig} during a run: exit ${code}, temp dir removed, no output`, async t => {
    const dir = t.testdir()
    const lines: string[] = []
    for (let i = 0; i < 3000; i++) lines.push(`record-${i}-${'x'.repeat(i % 30)}`)
    writeFileSync(join(dir, 'in.txt'), lines.join('\n') + '\n')
    const tmp = mkdtempSync(join(dir, 'tmp-'))
    const [cmd, argv] = cliArgv(['--job', job('slow.mjs'), '--memory', '64KB', '--workers', '2', '--tmp-dir', tmp, '-o', 'out.txt', 'in.txt'])
    const child = spawn(cmd, argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString('utf8') })
    const closed = new Promise<[number | null, NodeJS.Signals | null]>(resolve => child.on('close', (c, s) => resolve([c, s])))
    t.ok(await spillsStarted(tmp, 120_000), 'the run got as far as spilling')
    const sent = Date.now()
    child.kill(sig)
    const [exit, signal] = await closed
    t.ok(exit === code || signal === sig, `exit ${code} or killed by ${sig} (got exit ${exit}, signal ${signal})`)
    t.ok(Date.now() - sent < 60_000, 'stops, not hangs')
    t.same(readdirSync(tmp), [], 'temp dir removed')
    t.same(readdirSync(dir).sort(), ['in.txt', tmp.split('/').pop()!].sort(), 'no output file, nothing beside it')
    t.notMatch(stderr, STACK_LINE, 'no stack trace')
  })
}

t.test('a temp dir left by a SIGKILLed run is reported on the next run, not removed', async t => {
  const dir = t.testdir({ 'in.txt': text(200, 3) })
  const tmp = mkdtempSync(join(dir, 'tmp-'))
  // a pid that is not running: the largest pid_max allows, plus one
  const stale = join(tmp, 'mrstream-4194305-abc123')
  mkdirSync(stale)
  const r = await spawnCli(['--job', job('wordcount-named.mjs'), '--tmp-dir', tmp, 'in.txt'], dir)
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, /mrstream-4194305-abc123 was left by an mrstream run that was killed/, 'reported')
  t.ok(existsSync(stale), 'left for the user to remove')
})

t.test('stdout on /dev/full: exit 1, No space left on device', { skip: existsSync('/dev/full') ? false : 'no /dev/full here' }, async t => {
  const dir = t.testdir({ 'in.txt': text(3000, 9) })
  const fd = openSync('/dev/full', 'w')
  try {
    const r = await mrs(t, dir, ['--job', job('wordcount-named.mjs'), 'in.txt'], { stdout: fd })
    t.equal(r.code, 1, 'exit 1')
    t.match(r.stderr, /No space left on device/, 'says the disk is full')
    t.notMatch(r.stderr, STACK_LINE, 'no stack trace')
  } finally { closeSync(fd) }
})

t.test('disk full during spill and during output (2 MB tmpfs)', async t => {
  const dir = t.testdir()
  const mnt = join(dir, 'small-disk')
  mkdirSync(mnt)
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt], { encoding: 'utf8' })
  if (mounted.status !== 0) {
    t.plan(0, `cannot mount a tmpfs here (needs root): ${(mounted.stderr || String(mounted.error)).trim()}`)
    return
  }
  try {
    const lines: string[] = []
    for (let i = 0; i < 20_000; i++) lines.push(`line-${i}-${'y'.repeat(i % 40)}`)
    writeFileSync(join(dir, 'in.txt'), lines.join('\n') + '\n') // 620 KB; fat.mjs spills ~60x that

    const spill = await spawnCli(['--job', job('fat.mjs'), '--memory', '256KB', '--workers', '1', '--tmp-dir', mnt, '-o', 'out.txt', 'in.txt'], dir)
    t.equal(spill.code, 1, 'spill: exit 1')
    t.match(spill.stderr, /ENOSPC|No space left/, 'spill: says the disk is full')
    t.notMatch(spill.stderr, STACK_LINE, 'spill: no stack trace')
    t.same(readdirSync(mnt), [], 'spill: the temp dir is removed from the full disk')
    t.notOk(existsSync(join(dir, 'out.txt')), 'spill: no output file')

    // The output (~3.7 MB) on the small disk, the temp files elsewhere: an existing output is
    // untouched and no partial file is left.
    writeFileSync(join(mnt, 'out.txt'), 'precious\n')
    const r = await mrs(t, dir, ['-m', '(l, emit) => emit(l, l.repeat(5))', '-r', 'first', '--memory', '1MB', '-o', join(mnt, 'out.txt'), 'in.txt'])
    t.equal(r.code, 1, 'output: exit 1')
    t.match(r.stderr, /ENOSPC|No space left/, 'output: says the disk is full')
    t.notMatch(r.stderr, STACK_LINE, 'output: no stack trace')
    t.same(readdirSync(mnt), ['out.txt'], 'output: no partial output file on the full disk')
    t.equal(readFileSync(join(mnt, 'out.txt'), 'utf8'), 'precious\n', 'output: the existing file is untouched')

    // stdout redirected to a file on the small disk (`> file`, written with plain writes)
    const fd = openSync(join(mnt, 'stdout.txt'), 'w')
    try {
      const s = await mrs(t, dir, ['-m', '(l, emit) => emit(l, l.repeat(5))', '-r', 'first', '--memory', '1MB', 'in.txt'], { stdout: fd })
      t.equal(s.code, 1, 'stdout: exit 1')
      t.match(s.stderr, /cannot write stdout: No space left on device/, 'stdout: says the disk is full')
      t.notMatch(s.stderr, STACK_LINE, 'stdout: no stack trace')
    } finally { closeSync(fd) }
  } finally {
    spawnSync('umount', ['-l', mnt]) // before tap removes the test dir
  }
})

t.test('prototype pollution: __proto__ in records and values is data', async t => {
  const dir = t.testdir()
  const records = [
    '{"k":"a","__proto__":{"polluted":"yes"},"n":1}',
    '{"k":"constructor","constructor":{"prototype":{"polluted":"yes"}}}',
    '{"k":"__proto__","__proto__":{"polluted":"yes"},"toString":"x"}',
  ]
  writeFileSync(join(dir, 'p.ndjson'), records.join('\n') + '\n')
  const expected = [
    '[["clean-map"],{"map":true,"reduce":true}]',
    '[["own"],[{"v":{"__proto__":{"polluted":"by value"},"x":1},"protoIsObject":true,"ownProto":true}]]',
    `[["record","__proto__"],[{"v":${records[2]},"protoIsObject":true,"ownProto":true}]]`,
    `[["record","a"],[{"v":${records[0]},"protoIsObject":true,"ownProto":true}]]`,
    `[["record","constructor"],[{"v":${records[1]},"protoIsObject":true,"ownProto":false}]]`,
  ].join('\n') + '\n'
  const r = await mrs(t, dir, ['--job', job('proto.mjs'), '--format', 'ndjson', '--output-format', 'ndjson', '-q', 'p.ndjson'])
  t.equal(r.code, 0)
  t.equal(r.stdout, expected, 'values keep their own __proto__ keys, nothing is polluted')
  // Many records: through spills and a merge pass, with two workers.
  const many: string[] = []
  for (let i = 0; i < 3000; i++) many.push(`{"k":"k${String(i).padStart(4, '0')}","__proto__":{"polluted":${i}},"pad":"${'p'.repeat(40)}"}`)
  writeFileSync(join(dir, 'many.ndjson'), many.join('\n') + '\n')
  const big = await mrs(t, dir, ['--job', job('proto.mjs'), '--format', 'ndjson', '--output-format', 'ndjson', '--memory', '64KB', '--workers', '2', '--fan-in', '2', '--stats', 'stats.json', '-q', 'many.ndjson'])
  t.equal(big.code, 0)
  const out = big.stdout.split('\n')
  t.equal(out[0], '[["clean-map"],{"map":true,"reduce":true}]', 'nothing polluted in map or reduce, after spills')
  t.equal(out[1], '[["own"],[{"v":{"__proto__":{"polluted":"by value"},"x":1},"protoIsObject":true,"ownProto":true}]]')
  t.equal(out[2], `[["record","k0000"],[{"v":${many[0]},"protoIsObject":true,"ownProto":true}]]`, 'a record value unchanged')
  t.equal(out[3001], `[["record","k2999"],[{"v":${many[2999]},"protoIsObject":true,"ownProto":true}]]`, 'the last record value unchanged')
  const stats = JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf8')) as { counters: Record<string, number> }
  t.ok(stats.counters.spills > 1, `spilled (${stats.counters.spills} spills)`)
})

t.test('a job whose top-level code never ends: SIGINT still stops it (no temp dir yet, the default action)', async t => {
  const dir = t.testdir({ 'in.txt': 'a\n', 'loop.mjs': 'for (;;) {}\nexport function map () {}\nexport function reduce () {}\n' })
  const tmp = mkdtempSync(join(dir, 'tmp-'))
  const { exit, signal } = await interruptAfter(['--job', 'loop.mjs', '--tmp-dir', tmp, 'in.txt'], dir, 1500)
  t.ok(exit === 130 || signal === 'SIGINT', `exit 130 or killed by SIGINT (got exit ${exit}, signal ${signal})`)
  t.same(readdirSync(tmp), [], 'nothing left in the temp dir')
})

t.test('a job whose top-level await never settles: exit 2 with a message, not a silent 13', async t => {
  const dir = t.testdir({ 'in.txt': 'a\n', 'tla.mjs': 'await new Promise(() => {})\nexport function map () {}\nexport function reduce () {}\n' })
  const r = await mrs(t, dir, ['--job', 'tla.mjs', 'in.txt'])
  t.equal(r.code, 2)
  t.match(r.stderr, /the job module never finished loading \(a top-level await that never settles\?\)/)
})

t.test('a bad TMPDIR is named as such; too many part files for ulimit -n is a clear I/O error', async t => {
  const dir = t.testdir({ 'in.txt': text(200, 4) })
  const r = await spawnCli(['--job', job('wordcount-named.mjs'), 'in.txt'], dir, { vars: { TMPDIR: join(dir, 'missing') } })
  t.equal(r.code, 2)
  t.match(r.stderr, /the temp directory .*missing \(TMPDIR; or give --tmp-dir\) is not a writable directory/)
  const [cmd, argv] = cliArgv(['--job', job('wordcount-named.mjs'), '--tmp-dir', dir, '-o', 'parts', '--reducers', '200', '--workers', '1', 'in.txt'])
  const limited = spawnSync('bash', ['-c', 'ulimit -n 128; exec "$@"', 'bash', cmd, ...argv], { cwd: dir, encoding: 'utf8' })
  t.equal(limited.status, 1, limited.stderr)
  t.match(limited.stderr, /reduce: cannot open .*: too many open files \(fewer --reducers, or a higher ulimit -n\)/)
  t.notMatch(limited.stderr, STACK_LINE, 'no stack trace')
  t.notOk(existsSync(join(dir, 'parts')), 'no output directory')
})
