// Jobs of the property family whose output depends on the order of a key's values or on line
// numbers, under the simulator, each command run by the job's bundle. Hadoop promises no order of
// a key's values: here they come in input order (map tasks in input order, a stable sort), the
// one order for which a local run's output is defined; jobs that read ctx.line get one split a
// file (under Hadoop ctx.line counts lines within the split).
import t from 'tap'
import { familyTest } from '../helpers/hadoop.js'

t.test('jobs that depend on value order or line numbers, their bundles under the simulator, give the local output and counters', async t => {
  await familyTest(t, 'bundle', [['sumPerKey', 41], ['mixedKeys', 42], ['multiEmit', 43], ['firstOnly', 44], ['asyncMap', 45]])
})
