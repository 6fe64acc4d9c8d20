// Word counts of the property family (named, default and CommonJS exports; combiners that
// differ from reduce) under the simulator, each command run by the job's bundle: a key's values
// reach combine and reduce in any order (a seeded shuffle at every sort, as Hadoop allows), keys
// go to 2 reducers by Hadoop's hash, inputs are cut into splits as Hadoop cuts them; the lines
// and counters are the local run's.
import t from 'tap'
import { familyTest } from '../helpers/hadoop.js'

t.test('word counts, their bundles under the simulator, give the local output and counters', async t => {
  await familyTest(t, 'bundle', [['wordcount', 31], ['wordcountDefaultExport', 32], ['wordcountCjs', 33], ['sumPerKeyCombine', 34]])
})
