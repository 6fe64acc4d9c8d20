#!/usr/bin/env node
import { main } from '../lib/cli.js'
import { installSignalHandlers } from '../lib/exec/signals.js'
import { runProcess } from '../lib/exec/process.js'

installSignalHandlers()
await runProcess(main)
