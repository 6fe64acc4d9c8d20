// The fault matrix for -o FILE: SIGKILL, then SIGTERM or SIGINT, as each phase begins (helpers/kill.ts).
import t from 'tap'
import { faultMatrix } from './helpers/kill.js'

t.test('SIGKILL and signals at every phase', async t => { await faultMatrix(t, 'file', { sigkill: true }) })
