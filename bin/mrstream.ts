#!/usr/bin/env node
import { main } from '../lib/cli.js'
import { installSignalHandlers } from '../lib/signals.js'

installSignalHandlers()
// Node exits 13, silently, when the event loop empties under a pending top-level await: here,
// a job module whose own top-level await never settles, a broken job file (exit 2)
process.on('exit', code => {
  if (code !== 13 && process.exitCode !== 13) return
  process.stderr.write('mrstream: the job module never finished loading (a top-level await that never settles?)\n')
  process.exitCode = 2
})
const code = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env })
// Exit now: a failed job may leave stdin half-read, which would keep the process waiting. But
// first let stdout and stderr pass on what they hold: a write to a pipe can wait in their
// buffer, and process.exit would drop it.
await Promise.all([process.stdout, process.stderr].map(s => new Promise<void>(resolve => { s.write('', () => resolve()) })))
process.exit(code)
