#!/usr/bin/env node
import { main } from '../lib/cli.js'
import { installSignalHandlers } from '../lib/signals.js'

installSignalHandlers()
const code = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env })
// Exit now: a failed job may leave stdin half-read, which would keep the process waiting.
// (stdout and stderr writes are synchronous for files and pipes on POSIX.)
process.exit(code)
