// --help as a newcomer reads it: every option the parsers accept is named, every option named
// is accepted, and the skeleton and examples it shows run as shown.
import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnCli } from './helpers/cli.js'
import { hadoopOptions, commandOptions, runOptions } from '../dist/lib/cli.js'

const root = fileURLToPath(new URL('..', import.meta.url))

async function help (t: Test): Promise<string> {
  const r = await spawnCli(['--help'], root)
  t.equal(r.code, 0, '--help exits 0')
  return r.stdout
}

t.test('--help names every option the parser accepts, with its short form', async t => {
  const text = await help(t)
  for (const [table, options] of [['run', runOptions], ['phase', commandOptions], ['hadoop', hadoopOptions]] as const) {
    for (const [name, o] of Object.entries(options)) {
      t.match(text, new RegExp(`(^|[\\s,[])--${name}\\b`, 'm'), `${table} option --${name} is in --help`)
      const short = (o as { short?: string }).short
      if (short !== undefined) t.match(text, `-${short}, --${name}`, `--${name}'s short form -${short} is in --help`)
    }
  }
})

t.test('every option --help names is one a parser accepts', async t => {
  const text = await help(t)
  const known = new Set([...Object.keys(runOptions), ...Object.keys(commandOptions), ...Object.keys(hadoopOptions)])
  const named = [...text.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map(m => m[1]!)
  t.ok(named.length > 20, 'it names the options')
  for (const name of new Set(named)) t.ok(known.has(name), `--${name} is accepted`)
  const shorts = [...text.matchAll(/(?<![\w-])-([a-zA-Z]),/g)].map(m => m[1]!)
  const knownShorts = new Set([runOptions, commandOptions, hadoopOptions].flatMap(table => Object.values(table)).map(o => (o as { short?: string }).short))
  for (const s of shorts) t.ok(knownShorts.has(s), `-${s} is accepted`)
})

t.test('--help shows a job skeleton, the one-pass rule, examples and where the docs are', async t => {
  const text = await help(t)
  t.match(text, /export function map \(record, emit, ctx\)/)
  t.match(text, /export function reduce \(key, values, emit, ctx\)/)
  t.match(text, /export const combine/)
  t.match(text, /values is one-pass/)
  const examples = text.slice(text.indexOf('Examples:'), text.indexOf('Options:')).split('\n').filter(l => l.startsWith('  mrstream'))
  t.ok(examples.length >= 4, 'four examples at least')
  t.ok(examples.some(l => / map --job .* reduce --job /.test(l)), 'a Hadoop Streaming command')
  t.ok(examples.some(l => /-o \S+ --reducers/.test(l)), '-o DIR --reducers')
  t.ok(examples.some(l => / -m '.*' -r /.test(l)), 'a one-liner')
  t.ok(examples.some(l => /\| mrstream /.test(l)), 'stdin')
  const docs = /and more in\n\s+(\S+)/.exec(text)?.[1]
  t.equal(docs, join(root, 'docs/'), 'the docs folder, where it is')
  t.ok(readFileSync(join(docs!, 'jobs.md'), 'utf8').length > 0, 'jobs.md is there')
})

t.test('the skeleton in --help runs as shown', async t => {
  const text = await help(t)
  const from = text.indexOf('  export function map')
  const skeleton = text.slice(from, text.indexOf('\n\n', from)).replace(/^ {2}/gm, '')
  const dir = t.testdir({ 'job.mjs': skeleton })
  const r = await spawnCli(['--job', join(dir, 'job.mjs'), '--workers', '1', '-q'], dir, { stdin: 'b a b\n' })
  t.equal(r.stderr, '')
  t.equal(r.stdout, 'a\t1\nb\t2\n')
})
