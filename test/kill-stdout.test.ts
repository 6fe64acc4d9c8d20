// The fault matrix for stdout: SIGTERM or SIGINT as each phase begins (helpers/kill.ts).
import t from 'tap'
import { faultMatrix } from './helpers/kill.js'

t.test('signals at every phase', async t => { await faultMatrix(t, 'stdout', { sigkill: false }) })
