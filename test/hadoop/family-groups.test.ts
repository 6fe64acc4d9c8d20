// Jobs of the property family with groupBy (value order by a secondary key) under the
// simulator, each command run by the job's bundle, and by the installed commands: `mrstream hadoop`
// has Hadoop cut their keys in two fields (stream.num.map.output.key.fields=2), partition on the
// first (KeyFieldBasedPartitioner -k1,1) and sort both as bytes, and read a combiner's lines the
// same way (stream.num.reduce.output.key.fields=2). groupPairCombine's values with equal keys
// come in any order (a seeded shuffle): its group's values are still in key order.
import t from 'tap'
import { familyTest } from '../helpers/hadoop.js'

t.test('groupBy jobs, their bundles under the simulator, give the local output and counters', async t => {
  await familyTest(t, 'bundle', [['groupFirst', 51], ['groupPairCombine', 52]])
})

t.test('groupBy jobs, the installed commands under the simulator, give the local output and counters', async t => {
  await familyTest(t, 'installed', [['groupPairCombine', 53]])
})
