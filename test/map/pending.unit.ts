// pending.ts: a key's stored value, the values that came with the call, then the pending value
// as many times as it pends; once.
import t from 'tap'
import { PendingValues } from '../../dist/lib/map/pending.js'

t.test('the stored value, the others, then the pending ones, once', async t => {
  const v = new PendingValues(7, ['x', 2], 1, 3)
  t.same([...v], [7, 'x', 2, 1, 1, 1])
  t.same([...v], [], 'a second pass sees nothing')
  t.same([...new PendingValues(undefined, [], 5, 0)], [undefined])
  t.equal((new PendingValues(1, [], 1, 2) as unknown as unknown[]).length, undefined, 'no length')
})
