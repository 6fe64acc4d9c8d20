// run-format.ts: the footer indexes a run's blocks, an index key never says a block starts
// later than it does, and damage to a run is detected.
import t from 'tap'
import fc from 'fast-check'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, truncateSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { INDEX_KEY_BYTES, indexKey, keyAtMost, readFooter } from '../../dist/lib/runs/run-format.js'
import { RunReader } from '../../dist/lib/runs/run-reader.js'
import { RunWriter } from '../../dist/lib/runs/run-writer.js'
import { encodeKey } from '../../dist/lib/codec/keys.js'

const dir = mkdtempSync(join(tmpdir(), 'mrstream-test-run-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const path = (): string => join(dir, `r${n++}.run`)

t.test('an index key is the ekey, or its first INDEX_KEY_BYTES bytes; keyAtMost never says a key above lo is <= lo', async t => {
  // ekeys around the cut, sharing long prefixes so that cut keys tie with lo's first bytes
  const ekey = fc.tuple(fc.integer({ min: INDEX_KEY_BYTES - 4, max: INDEX_KEY_BYTES + 4 }), fc.string({ unit: fc.constantFrom('a', 'b'), maxLength: 6 }))
    .map(([n, tail]) => encodeKey('a'.repeat(n) + tail))
  fc.assert(fc.property(ekey, ekey, (key, lo) => {
    const first = indexKey(key)
    if (key.length < INDEX_KEY_BYTES ? first !== key : first !== key.slice(0, INDEX_KEY_BYTES)) return false
    return !keyAtMost(first, lo) || key <= lo
  }), { numRuns: 300, seed: 7 })
  t.pass()
})

function bigRun (): { p: string, keys: string[] } {
  const p = path()
  const w = new RunWriter(p, 'spill')
  const keys: string[] = []
  for (let i = 0; i < 20000; i++) {
    const k = encodeKey(`key${String(i).padStart(6, '0')}`)
    keys.push(k)
    w.startGroup(k, 2)
    w.value(i)
    w.value('some value text to fill blocks')
  }
  w.close()
  return { p, keys }
}

t.test('blocks index the run; a reader can start at any block', async t => {
  const { p, keys } = bigRun()
  const f = readFooter(p)
  t.ok(f.blocks.length > 5, `${f.blocks.length} blocks`)
  t.equal(f.groups, 20000)
  t.equal(f.values, 40000)
  const b = 3
  const r = new RunReader(p, f, b)
  t.ok(r.nextGroup())
  t.equal(r.key, f.blocks[b]![1], 'first group of a block is its indexed key')
  t.equal(keys.indexOf(r.key) > 0, true)
  r.close()
})

t.test('truncation and corruption are detected', async t => {
  const { p } = bigRun()
  const size = statSync(p).size
  const truncated = path()
  writeFileSync(truncated, readFileSync(p))
  truncateSync(truncated, size - 100)
  t.throws(() => readFooter(truncated), { code: 'MRS_ERR_RUN_CORRUPT' }, 'truncated: no trailer')

  const flipped = path()
  const bytes = readFileSync(p)
  bytes[5000] = bytes[5000]! ^ 0x55
  writeFileSync(flipped, bytes)
  t.throws(() => {
    const r = new RunReader(flipped, readFooter(flipped))
    while (r.nextGroup()) while (r.left > 0) r.nextValue()
  }, { code: 'MRS_ERR_RUN_CORRUPT' }, 'a flipped byte fails its block CRC')
})
