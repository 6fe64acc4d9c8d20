// The Hadoop simulator (helpers/hadoop-sim.ts) against Hadoop's own arithmetic and record
// cutting, then the installed commands (`mrstream map|combine|reduce --job FILE` on every task
// node) under it: jobs of the property family give the local run's lines and counters.
import t from 'tap'
import fc from 'fast-check'
import { hashPartition, keyFieldPartition, keyFieldSpecs, parseCounter, readerLines, splitArgs, splitRecords, textHash } from '../helpers/hadoop-sim.js'
import { familyTest } from '../helpers/hadoop.js'

t.test('the simulator computes what Hadoop computes', async t => {
  // Text.hashCode() and HashPartitioner as Java computes them (javac 17, WritableComparator.hashBytes
  // over String.getBytes(UTF_8)): hash, partition of 3, partition of 7
  const java: Array<[string, number, number, number]> = [
    ['', 1, 1, 1],
    ['"a"', 65506, 1, 0],
    ['[1,"b"]', -1949129072, 0, 0],
    ['"kůň 🐎"', 1909995052, 1, 0],
    ['null', 4316424, 0, 0],
    ['"the quick brown fox jumps over the lazy dog"', 978148304, 2, 0],
    ['-0.5', 2311723, 1, 1],
  ]
  for (const [key, hash, p3, p7] of java) {
    const b = Buffer.from(key, 'utf8')
    t.strictSame([textHash(b), hashPartition(b, 3), hashPartition(b, 7)], [hash, p3, p7], `hash of ${key}`)
  }
  // KeyFieldBasedPartitioner -k1,1 (its hashCode over the first field's bytes, from 0), as Java computes it
  for (const [key, p3, p7] of [['"u0"\t04c0a0', 2, 0], ['["kůň",1]\t05\t06', 0, 5], ['null\tff', 2, 3]] as const) {
    const b = Buffer.from(key, 'utf8')
    const tab = Buffer.from('\t')
    t.strictSame([keyFieldPartition(b, keyFieldSpecs('-k1,1'), tab, 3), keyFieldPartition(b, keyFieldSpecs('-k1,1'), tab, 7)], [p3, p7], `-k1,1 partition of ${key}`)
  }
  t.throws(() => keyFieldSpecs('-k1n,1'), 'options other than whole fields are not simulated')
  // LineRecordReader over splits: every line of the file once, in order, wherever the splits
  // fall (inside a CRLF, on a line's first byte, in a multi-byte character); a BOM dropped
  const line = fc.array(fc.constantFrom('a', 'é', '🐎', ' ', '\t'), { maxLength: 6 }).map(cs => cs.join(''))
  const end = fc.constantFrom('\n', '\r', '\r\n')
  const file = fc.tuple(fc.array(fc.tuple(line, end), { maxLength: 12 }), fc.option(line), fc.boolean())
  fc.assert(fc.property(file, fc.integer({ min: 1, max: 20 }), ([lines, tail, bom], size) => {
    const file = Buffer.from((bom ? '\ufeff' : '') + lines.map(([l, e]) => l + e).join('') + (tail ?? ''), 'utf8')
    const got: Buffer[] = []
    for (let start = 0; start < file.length || start === 0; start += size) got.push(...splitRecords(file, start, Math.min(size, file.length - start)))
    const want = readerLines(bom ? file.subarray(3) : file)
    if (file.length === 0) return got.length === 0
    return Buffer.concat(got.map(b => Buffer.concat([b, Buffer.from('\n')]))).equals(Buffer.concat(want.map(b => Buffer.concat([b, Buffer.from('\n')]))))
  }), { seed: 7, numRuns: 400 })
  t.strictSame(splitRecords(Buffer.from('ab\ncd\r\nef\rgh'), 0, 4).map(String), ['ab', 'cd'], 'the line crossing the split end is the split\'s')
  t.strictSame(splitRecords(Buffer.from('ab\ncd\r\nef\rgh'), 4, 9).map(String), ['ef', 'gh'], 'a later split skips the rest of its first line; CR ends a line')
  t.strictSame(splitRecords(Buffer.from('ab\r\ncd'), 3, 3).map(String), ['cd'], 'a split starting inside CRLF skips the LF only')
  // PipeMapRed.splitArgs and MRErrorThread's counter lines
  t.strictSame(splitArgs("node  job.bundle.mjs map --step 2 'a b' \"c d\""), ['node', 'job.bundle.mjs', 'map', '--step', '2', 'a b', 'c d'])
  t.strictSame(parseCounter('reporter:counter:mrstream,records read,12'), ['mrstream', 'records read', 12n])
  t.strictSame(parseCounter('reporter:counter: job,x,7 \t'), ['job', 'x', 7n], 'the line is trimmed')
  t.equal(parseCounter('reporter:counter:job,a,b,1'), undefined, 'a comma in a name: 4 columns, dropped')
  t.equal(parseCounter('reporter:counter:job,big,1e+21'), undefined, 'not a long: dropped')
  t.equal(parseCounter('reporter:counter:job,x,'), undefined, 'no amount: dropped')
})

// The installed commands over jobs of the property family (the bundle runs the family in
// family-*.test.ts): a combiner, values in any order; ctx.file and ctx.line (whole-file
// splits), values in input order; map-only.
t.test('installed commands under the simulator give the local output and counters', async t => {
  await familyTest(t, 'installed', [['wordcountCombine', 21], ['collectList', 24], ['mapOnly', 25]])
})
