// staged.ts: a key's output lines held back until its function returned (--max-bad-records).
// Whatever is pushed, committed or discarded, in memory or past it in the file, commit hands
// over exactly the lines pushed since the last commit or discard, in order, with their
// partitions; and close removes the file.
import t from 'tap'
import fc from 'fast-check'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { StagedLines } from '../../dist/lib/reduce/staged.js'

// lines up to 1.5 MB (past the 1 MB in memory, and past the file's 1 MB buffer), of one-,
// two-, three- and four-byte UTF-8 characters; the file's buffer also as small as 16 bytes, so
// that short lines are longer than it too
const big = fc.tuple(fc.constantFrom('a', 'é', '€', '🐎', 'x\t'), fc.integer({ min: 1, max: 600_000 })).map(([c, n]) => c.repeat(n))
const line = fc.oneof({ weight: 8, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) }, { weight: 1, arbitrary: big })
const step = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constant('push' as const), fc.nat(7), line) },
  { weight: 2, arbitrary: fc.constant(['commit'] as const) },
  { weight: 1, arbitrary: fc.constant(['discard'] as const) }
)

t.test('commit gives the lines pushed since the last commit or discard, in order, in memory or in the file', async t => {
  const dir = t.testdir()
  let runs = 0
  const stepsArb = fc.array(step, { maxLength: 30 })
  fc.assert(fc.property(stepsArb, fc.array(fc.nat(2000), { maxLength: 3 }), fc.constantFrom(16, 64, 1 << 20), (steps, hot, fileBuffer) => {
    const path = join(dir, `staged-${runs++}`)
    let asked = 0
    const staged = new StagedLines(() => { asked++; return path }, 'reduce', fileBuffer)
    let model: Array<[number, string]> = []
    const check = (): boolean => {
      const got: Array<[number, string]> = []
      const n = staged.commit((p, l) => { got.push([p, l]) })
      const ok = n === model.length && got.length === model.length && got.every(([p, l], i) => p === model[i]![0] && l === model[i]![1])
      model = []
      return ok
    }
    for (const s of steps) {
      if (s[0] === 'push') { staged.push(s[1], s[2]); model.push([s[1], s[2]]) } else if (s[0] === 'commit') { if (!check()) return false } else { staged.discard(); model = [] }
    }
    // many short lines of one key: past the memory's share by count, not by length
    for (const n of hot) for (let i = 0; i < 20 * n; i++) { staged.push(i % 3, `k\t${i}\n`); model.push([i % 3, `k\t${i}\n`]) }
    if (!check()) return false
    staged.close()
    return asked <= 1 && !existsSync(path)
  }), { numRuns: 60, seed: 7 })
})

t.test('a line of a UTF-16 surrogate pair split across the file buffer comes back whole', async t => {
  const dir = t.testdir()
  const staged = new StagedLines(() => join(dir, 'staged'), 'reduce')
  const lines = Array.from({ length: 9 }, (_, i) => '🐎'.repeat(100_000 + i) + '\n')
  for (const l of lines) staged.push(1, l)
  const got: string[] = []
  t.equal(staged.commit((_p, l) => { got.push(l) }), lines.length)
  t.strictSame(got, lines)
  staged.close()
  t.notOk(existsSync(join(dir, 'staged')))
})
