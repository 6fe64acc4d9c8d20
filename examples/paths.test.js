// Unit-testing a job: runJob() runs examples/paths.js over a few records through the engine
// itself, at the smallest budget with 2 workers and at least two map tasks, so that a job that
// counts on seeing all of a key's values in one map call or one task fails here, not on real
// data. Any test runner does; this one is node:test:
//   node --test examples/paths.test.js
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runJob } from 'mrstream'

const job = new URL('./paths.js', import.meta.url)
const request = (path, bytes) => `10.0.0.1 - - [08/Mar/2024:00:00:02 +0000] "GET ${path} HTTP/1.1" 200 ${bytes} "-" "curl/8.5"`

test('counts the requests and adds up the bytes of each path, in key order', async () => {
  const { pairs } = await runJob(job, [request('/b', 5), request('/a', 100), request('/a', 20)])
  assert.deepEqual(pairs, [['/a', [2, 120]], ['/b', [1, 5]]])
})

test('a response without a body ("-") counts 0 bytes', async () => {
  const { pairs } = await runJob(job, [request('/a', '-'), request('/a', 7)])
  assert.deepEqual(pairs, [['/a', [2, 7]]])
})

test('a line that is not a request is read and skipped', async () => {
  const { pairs, counters } = await runJob(job, ['', 'not a log line', request('/a', 1)])
  assert.deepEqual(pairs, [['/a', [1, 1]]])
  assert.equal(counters.records, 3)
})

test('the totals do not depend on how the records are split into tasks', async () => {
  const records = Array.from({ length: 500 }, (_, i) => request(`/p${i % 7}`, i))
  const tiny = await runJob(job, records)
  const roomy = await runJob(job, records, { memory: '64MB', workers: 1 })
  assert.ok(tiny.counters.spills > 1, 'several map tasks spilled at the smallest budget')
  assert.deepEqual(tiny.pairs, roomy.pairs)
  assert.equal(tiny.pairs.reduce((n, [, [requests]]) => n + requests, 0), 500)
})
