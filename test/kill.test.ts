// The fault matrix (helpers/kill.ts): SIGKILL, then SIGTERM or SIGINT, as each phase begins,
// for each kind of output.
import t from 'tap'
import { faultMatrix } from './helpers/kill.js'

t.test('-o FILE: SIGKILL and signals at every phase', async t => { await faultMatrix(t, 'file', { sigkill: true }) })
t.test('-o DIR --reducers 3: SIGKILL and signals at every phase', async t => { await faultMatrix(t, 'dir', { sigkill: true }) })
t.test('stdout: SIGKILL and signals at every phase', async t => { await faultMatrix(t, 'stdout', { sigkill: true }) })
