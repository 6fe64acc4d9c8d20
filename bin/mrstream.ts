#!/usr/bin/env node
import { main } from '../lib/cli.js'
import { installSignalHandlers } from '../lib/signals.js'

installSignalHandlers()
process.exitCode = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env })
