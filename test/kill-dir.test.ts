// The fault matrix for -o DIR --reducers 3: SIGKILL, then SIGTERM or SIGINT, as each phase begins (helpers/kill.ts).
import t from 'tap'
import { faultMatrix } from './helpers/kill.js'

t.test('SIGKILL and signals at every phase', async t => { await faultMatrix(t, 'dir', { sigkill: true }) })
