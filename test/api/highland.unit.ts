// highland: a mapReduce() stream as a `through` stage, a highland stream as run()'s input,
// and errors reaching highland's consumer.
import t from 'tap'
import _ from 'highland'
import { fileURLToPath } from 'node:url'
import { mapReduce, run } from 'mrstream'

t.setTimeout(300_000)

const job = fileURLToPath(new URL('../../examples/wordcount.js', import.meta.url))
const throws = new URL('../fixtures/jobs/map-throws.mjs', import.meta.url) // (its third record)
const lines = ['the cat', 'the hat', 'a cat']
const want = [['a', 1], ['cat', 2], ['hat', 1], ['the', 2]]

t.test('through(mapReduce(job))', async t => {
  const pairs = await new Promise(resolve => _(lines).through(mapReduce(job, { workers: 2 })).toArray(resolve))
  t.same(pairs, want)
})

t.test('bytes through, lines out', async t => {
  const out = await new Promise<Buffer[]>(resolve => _([Buffer.from('the cat\nthe h'), Buffer.from('at\na cat\n')]).through(mapReduce(job, { format: 'lines', outputFormat: 'tsv', workers: 1 })).toArray(resolve))
  t.equal(Buffer.concat(out).toString(), 'a\t1\ncat\t2\nhat\t1\nthe\t2\n')
})

t.test('a highland stream as run()\'s input', async t => {
  const pairs = []
  for await (const pair of run(job, { input: _(lines).map(l => l.toUpperCase()), workers: 2 })) pairs.push(pair)
  t.same(pairs, [['A', 1], ['CAT', 2], ['HAT', 1], ['THE', 2]])
})

t.test('a job\'s error reaches highland\'s consumer', async t => {
  const err = await new Promise<Error & { code?: string }>(resolve => {
    _(['a', 'b', 'c']).through(mapReduce(throws, { workers: 1 })).stopOnError(e => resolve(e as Error)).each(() => {})
  })
  t.equal(err.code, 'MRS_ERR_MAP')
})
