// Jobs of the property family over characters and whole lines (unicode, tab, CR and NUL keys;
// the identity reducer) and the map-only ones, under the simulator, each command run by the job's
// bundle. A map-only job's part files, taken in their splits' input order, are the local
// output byte for byte.
import t from 'tap'
import { familyTest } from '../helpers/hadoop.js'

t.test('lines, characters and map-only jobs, their bundles under the simulator, give the local output and counters', async t => {
  await familyTest(t, 'bundle', [['chars', 46], ['identityReduce', 47], ['mapOnlyDeclared', 48], ['mapOnly', 49]])
})
