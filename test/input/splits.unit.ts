// splits.ts: the splits of a file, read back in chunks, are the file exactly (BOM dropped),
// every split and chunk starts a line, and line numbers are absolute.
import t from 'tap'
import fc from 'fast-check'
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chunksOfSplit, countSplitLines, splitsOf, type Split } from '../../dist/lib/input/splits.js'
import { LineBase } from '../../dist/lib/input/line-base.js'
import type { Chunk } from '../../dist/lib/input/records.js'

const dir = mkdtempSync(join(tmpdir(), 'mrstream-test-splits-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let n = 0

async function collect (file: string, splitBytes: number, chunkBytes: number, maxLineBytes = 1 << 20) {
  const splits = []
  for await (const s of splitsOf(file, splitBytes, maxLineBytes)) splits.push(s)
  // each split's first line: none is known before the count but the first's
  const before = splits.map(s => new LineBase(s.lineBase).known)
  await countSplitLines(file, splits, maxLineBytes)
  // a chunk's buffer is reused by the next one: copy it before reading on; its line counts
  // from 0 at its split's first line
  const chunkOf = (c: Chunk) => ({ firstLine: c.base!.line(file) + c.firstLine, data: Buffer.from(c.data) })
  const chunks = splits.map(s => Array.from(chunksOfSplit(s, chunkBytes, maxLineBytes), chunkOf))
  return { splits, chunks, before }
}

const line = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ minLength: 50, maxLength: 300 }), fc.constant(''), fc.constant('\r'))

t.test('splits and their chunks are the file, line-aligned, with absolute line numbers', async t => {
  await fc.assert(fc.asyncProperty(
    fc.array(line, { maxLength: 200 }), fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 700 }),
    async (lines, trailingNewline, bom, splitBytes, chunkBytes) => {
      const body = Buffer.from(lines.join('\n') + (trailingNewline && lines.length > 0 ? '\n' : ''), 'utf8')
      const file = join(dir, `f${n++}.txt`)
      writeFileSync(file, bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body)
      const { splits, chunks, before: known } = await collect(file, splitBytes, chunkBytes, 1 << 20)
      if (!known.every((line, k) => line === (k === 0 ? 1 : undefined))) return false
      const all = Buffer.concat(chunks.flat().map(c => c.data))
      if (!all.equals(body)) return false
      let at = bom ? 3 : 0
      const file0 = bom ? 3 : 0
      for (const [k, s] of splits.entries()) {
        if (s.offset !== at || s.length === 0) return false
        // a split but the last ends at the first line end splitBytes or more from its start
        const rel = s.offset - file0
        const endsBadly = s.length < splitBytes || body[rel + s.length - 1] !== 10 || body.subarray(rel + splitBytes - 1, rel + s.length - 1).includes(10)
        if (k < splits.length - 1 && endsBadly) return false
        at += s.length
      }
      // each chunk starts a line, numbered as in the file
      let before = 0
      for (const c of chunks.flat()) {
        if (before > 0 && body[before - 1] !== 10) return false
        if (c.firstLine !== 1 + body.subarray(0, before).filter(b => b === 10).length) return false
        before += c.data.length
      }
      return true
    }), { numRuns: 300 })
})

t.test('a split\'s first line, read in another thread, waits for the count to get there', async t => {
  const file = join(dir, 'wait.txt')
  writeFileSync(file, Array.from({ length: 5000 }, (_, i) => `line ${i + 1}`).join('\n') + '\n')
  const splits = []
  for await (const s of splitsOf(file, 10_000, 1 << 20)) splits.push(s)
  t.ok(splits.length > 3)
  const last = splits[splits.length - 1]!
  // a worker reads the last split's first line before the count has started
  const { Worker } = await import('node:worker_threads')
  const url = new URL('../../dist/lib/input/line-base.js', import.meta.url).href
  const w = new Worker(`import(${JSON.stringify(url)}).then(({ LineBase }) => require('node:worker_threads').parentPort.postMessage(new LineBase(require('node:worker_threads').workerData).line('wait.txt')))`, { eval: true, workerData: last.lineBase })
  const got = new Promise(resolve => w.once('message', resolve))
  await new Promise(resolve => setTimeout(resolve, 200))
  t.equal(new LineBase(last.lineBase).known, undefined, 'not known before the count')
  await countSplitLines(file, splits, 1 << 20)
  const want = 1 + readFileSync(file).subarray(0, last.offset).filter(b => b === 10).length
  t.equal(await got, want, 'the worker got the line the count published')
  await w.terminate()
  // a count that fails marks the splits it had not numbered, and a waiting reader stops
  writeFileSync(file, 'a\n'.repeat(3000) + 'x'.repeat(5000) + '\n' + 'b\n'.repeat(3000))
  const again: Split[] = []
  for await (const s of splitsOf(file, 2000, 4096)) again.push(s)
  await t.rejects(countSplitLines(file, again, 4096), { code: 'MRS_ERR_LINE_TOO_LONG' })
  t.throws(() => new LineBase(again[again.length - 1]!.lineBase).line('wait.txt'), { code: 'MRS_ERR_INPUT', message: /could not be counted/ })
})

t.test('a file that grows after it was split is counted no further', async t => {
  const file = join(dir, 'grows.txt')
  writeFileSync(file, 'a\n'.repeat(5000))
  const splits = []
  for await (const s of splitsOf(file, 2000, 4096)) splits.push(s)
  appendFileSync(file, 'x'.repeat(10_000) + '\n') // a line over the limit, written after the split
  await countSplitLines(file, splits, 4096)
  t.equal(new LineBase(splits[splits.length - 1]!.lineBase).known, 1 + splits[splits.length - 1]!.offset / 2)
})

t.test('a line over --max-line-bytes fails the scan, naming its line', async t => {
  const file = join(dir, 'long.txt')
  writeFileSync(file, 'a\nb\n' + 'x'.repeat(5000) + '\nc\n')
  await t.rejects(collect(file, 100, 64, 4096), { code: 'MRS_ERR_LINE_TOO_LONG', message: /long\.txt:3: line longer than --max-line-bytes 4096/ })
  writeFileSync(file, 'a\n' + 'x'.repeat(5000))
  await t.rejects(collect(file, 100, 64, 4096), { code: 'MRS_ERR_LINE_TOO_LONG', message: /long\.txt:2:/ })
  // a long line under the limit is read whole, however small the chunks, in a chunk of its own
  // size; the chunks after it are no longer than before it
  writeFileSync(file, 'a\n' + 'x'.repeat(5000) + '\nb')
  const { chunks } = await collect(file, 1 << 20, 64, 8192)
  t.same(chunks.flat().map(c => c.firstLine), [1, 2, 3])
  t.same(chunks.flat().map(c => c.data.length), [2, 5001, 1])
  t.equal(Buffer.concat(chunks.flat().map(c => c.data)).toString(), 'a\n' + 'x'.repeat(5000) + '\nb')
})

t.test('a line longer than a chunk is read into a buffer of its size, then the chunk buffer is used again', async t => {
  // (a buffer doubled until it held the line left each smaller one behind, and kept the largest)
  const file = join(dir, 'long-buffer.txt')
  writeFileSync(file, 'a\n'.repeat(3000) + 'x'.repeat(20_000) + '\n' + 'b\n'.repeat(3000))
  const splits = []
  for await (const s of splitsOf(file, 1 << 20, 1 << 20)) splits.push(s)
  t.equal(splits.length, 1)
  const held: number[] = []
  const sizes: number[] = []
  for (const c of chunksOfSplit(splits[0]!, 4096, 1 << 20)) {
    held.push(c.data.buffer.byteLength)
    sizes.push(c.data.length)
  }
  const long = sizes.indexOf(20_001)
  t.ok(long > 0, 'the long line is a chunk of its own')
  t.equal(held[long], 20_001, 'in a buffer of its size')
  t.ok(held.every((b, i) => i === long || b === 4096), 'every other chunk in the 4 KB buffer')
  t.equal(sizes.reduce((a, b) => a + b, 0), 6000 + 20_001 + 6000)
})

t.test('a job that fails stops the line count (the library\'s main returns with no input left open)', async t => {
  const { main } = await import('../../dist/lib/cli.js')
  const { PassThrough } = await import('node:stream')
  const { readdirSync, readlinkSync } = await import('node:fs')
  const file = join(dir, 'many.txt')
  writeFileSync(file, '\n'.repeat(100_000_000)) // ~1 s of counting a copy
  const stderr = new PassThrough()
  stderr.resume()
  const code = await main(['-m', '(l, emit) => { throw new Error("x") }', '-r', 'sum', '--workers', '2', '-q', '--tmp-dir', dir, file, file, file], { stdin: new PassThrough(), stdout: new PassThrough(), stderr })
  t.equal(code, 1)
  // a count stops between blocks: wait for that, however busy the machine
  const openFds = () => readdirSync('/proc/self/fd').filter(fd => { try { return readlinkSync(`/proc/self/fd/${fd}`) === file } catch { return false } })
  for (let i = 0; i < 600 && openFds().length > 0; i++) await new Promise(resolve => setTimeout(resolve, 50))
  t.same(openFds(), [], 'the input is closed')
})
