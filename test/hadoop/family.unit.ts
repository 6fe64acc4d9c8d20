// The jobs of the property family under the Hadoop simulator (helpers/hadoop-sim.ts), each
// command run by the job's bundle or by the installed commands: the lines and counters of a
// local run, job by job.
import t from 'tap'
import { familyTest } from '../helpers/hadoop.js'

// Word counts of the property family (named, default and CommonJS exports; combiners that
// differ from reduce) under the simulator, each command run by the job's bundle: a key's values
// reach combine and reduce in any order (a seeded shuffle at every sort, as Hadoop allows), keys
// go to 2 reducers by Hadoop's hash, inputs are cut into splits as Hadoop cuts them; the lines
// and counters are the local run's.
t.test('word counts, their bundles under the simulator, give the local output and counters', async t => {
  await familyTest(t, 'bundle', [['wordcount', 31], ['wordcountDefaultExport', 32], ['wordcountCjs', 33], ['sumPerKeyCombine', 34]])
})

// Jobs of the property family with array keys and values (composite keys, sums of pairs and
// tuples, the built-in sum) under the simulator, each command run by the job's bundle, a key's
// values in any order (a seeded shuffle at every sort): the local run's lines and counters.
t.test('array keys and values, their bundles under the simulator, give the local output and counters', async t => {
  await familyTest(t, 'bundle', [['composite', 35], ['pairSums', 36], ['tupleSums', 37], ['builtinSum', 38]])
})

// Jobs of the property family whose output depends on the order of a key's values or on line
// numbers, under the simulator, each command run by the job's bundle. Hadoop promises no order of
// a key's values: here they come in input order (map tasks in input order, a stable sort), the
// one order for which a local run's output is defined; jobs that read ctx.line get one split a
// file (under Hadoop ctx.line counts lines within the split).
t.test('jobs that depend on value order or line numbers, their bundles under the simulator, give the local output and counters', async t => {
  await familyTest(t, 'bundle', [['sumPerKey', 41], ['mixedKeys', 42], ['multiEmit', 43], ['firstOnly', 44], ['asyncMap', 45]])
})

// Jobs of the property family over characters and whole lines (unicode, tab, CR and NUL keys;
// the identity reducer) and the map-only ones, under the simulator, each command run by the job's
// bundle. A map-only job's part files, taken in their splits' input order, are the local
// output byte for byte.
t.test('lines, characters and map-only jobs, their bundles under the simulator, give the local output and counters', async t => {
  await familyTest(t, 'bundle', [['chars', 46], ['identityReduce', 47], ['mapOnlyDeclared', 48], ['mapOnly', 49]])
})

// Jobs of the property family with groupBy (value order by a secondary key) under the
// simulator, each command run by the job's bundle, and by the installed commands: `mrstream hadoop`
// has Hadoop cut their keys in two fields (stream.num.map.output.key.fields=2), partition on the
// first (KeyFieldBasedPartitioner -k1,1) and sort both as bytes, and read a combiner's lines the
// same way (stream.num.reduce.output.key.fields=2). groupPairCombine's values with equal keys
// come in any order (a seeded shuffle): its group's values are still in key order.
t.test('groupBy jobs, their bundles under the simulator, give the local output and counters', async t => {
  await familyTest(t, 'bundle', [['groupFirst', 51], ['groupPairCombine', 52]])
})

t.test('groupBy jobs, the installed commands under the simulator, give the local output and counters', async t => {
  await familyTest(t, 'installed', [['groupPairCombine', 53]])
})
