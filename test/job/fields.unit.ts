// field() and words(): what line.split(sep) gives, for any line and separator (one or more
// characters, overlapping ones, astral and combining characters), without the array.
import t from 'tap'
import fc from 'fast-check'
import { field, words } from '../../dist/lib/job/fields.js'

// lines made of few characters, so that separators (of the same characters) occur often
const chars = fc.constantFrom(' ', 'a', 'b', '\t', ',', 'é', '😀', '\u0301')
const lineArb = fc.array(chars, { maxLength: 30 }).map(cs => cs.join(''))
const sepArb = fc.oneof(fc.constant(' '), fc.array(chars, { minLength: 1, maxLength: 3 }).map(cs => cs.join('')))

t.test('field(line, n, sep) is line.split(sep)[n], for every n up to past the last field', async t => {
  fc.assert(fc.property(lineArb, sepArb, (line, sep) => {
    const parts = line.split(sep)
    for (let n = 0; n <= parts.length + 1; n++) t.equal(field(line, n, sep), parts[n], `${JSON.stringify(line)} ${JSON.stringify(sep)} ${n}`)
    if (sep === ' ') t.equal(field(line, 0), parts[0], 'a space by default')
  }), { numRuns: 300 })
})

t.test("words(line, fn, sep) calls fn with line.split(sep)'s non-empty pieces, in order", async t => {
  fc.assert(fc.property(lineArb, sepArb, (line, sep) => {
    const got: string[] = []
    words(line, w => { got.push(w) }, sep)
    t.strictSame(got, line.split(sep).filter(w => w !== ''), `${JSON.stringify(line)} ${JSON.stringify(sep)}`)
  }), { numRuns: 300 })
  const got: string[] = []
  words('  the  cat sat ', w => { got.push(w) })
  t.strictSame(got, ['the', 'cat', 'sat'], 'a space by default')
})

t.test('a separator must be a non-empty string, n an integer from 0', async t => {
  t.throws(() => field('a b', 0, ''), { name: 'TypeError', message: /non-empty string/ })
  t.throws(() => words('a b', () => {}, ''), { name: 'TypeError', message: /non-empty string/ })
  t.throws(() => field('a b', 0, 3 as unknown as string), { name: 'TypeError' })
  for (const n of [-1, 1.5, NaN]) t.throws(() => field('a b', n), { name: 'RangeError', message: /integer from 0/ })
})
