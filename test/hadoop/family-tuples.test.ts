// Jobs of the property family with array keys and values (composite keys, sums of pairs and
// tuples, the built-in sum) under the simulator, each command run by the job's bundle, a key's
// values in any order (a seeded shuffle at every sort): the local run's lines and counters.
import t from 'tap'
import { familyTest } from '../helpers/hadoop.js'

t.test('array keys and values, their bundles under the simulator, give the local output and counters', async t => {
  await familyTest(t, 'bundle', [['composite', 35], ['pairSums', 36], ['tupleSums', 37], ['builtinSum', 38]])
})
