#!/usr/bin/env node
import { main } from '../lib/cli.js'
import { installSignalHandlers } from '../lib/signals.js'

installSignalHandlers()
const code = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env })
// Exit now: a failed job may leave stdin half-read, which would keep the process waiting. But
// first let stdout and stderr pass on what they hold: a write to a pipe can wait in their
// buffer, and process.exit would drop it.
await Promise.all([process.stdout, process.stderr].map(s => new Promise<void>(resolve => { s.write('', () => resolve()) })))
process.exit(code)
