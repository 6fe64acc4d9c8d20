#!/usr/bin/env node
// The command. Its modules are imported here, not by a static import, so that a start that
// cannot open them (too few file descriptors: ulimit -n) says so in a line, not with Node's
// stack trace.
let cli
try {
  cli = await import('../lib/cli.js')
} catch (e) {
  const code = (e as NodeJS.ErrnoException).code
  if (code !== 'EMFILE' && code !== 'ENFILE') throw e
  process.stderr.write(`mrstream: too many open files to start (${code}): raise ulimit -n\n`)
  process.exit(2)
}
await cli.command()
