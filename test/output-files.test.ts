// Output files as docs/guarantees.md ("Output files") states them: what a killed run leaves
// beside its target and who removes it, the modes of what is written, the owner and group an
// existing file keeps, and the targets refused before the job runs. Every run spawns the built
// binary with a fresh --tmp-dir that must hold nothing afterwards.
import t, { type Test } from 'tap'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnCli, type Result, type SpawnOptions } from './helpers/cli.js'

// a process id no process has: the largest pid_max allows, plus one
const DEAD = 4194305
const COUNT = ['-m', '(l, emit) => { for (const w of l.split(" ")) emit(w, 1) }', '-r', 'count', '--workers', '1']

async function mrs (t: Test, dir: string, args: string[], opts: SpawnOptions = {}): Promise<Result> {
  const tmp = mkdtempSync(join(dir, 'tmp-'))
  const r = await spawnCli([...COUNT, ...args, '--tmp-dir', tmp], dir, opts)
  t.same(readdirSync(tmp), [], `--tmp-dir is empty after: mrstream ${args.join(' ')}`)
  return r
}

const hidden = (dir: string): string[] => readdirSync(dir).filter(n => n.startsWith('.')).sort()

t.test('a partial output a killed run left beside the target is removed by the next run to it, and named', async t => {
  const dir = t.testdir({ 'in.txt': 'b a b\n', 'out.txt': 'old\n' })
  const left = {
    file: `.out.txt.mrstream-${DEAD}-1765000000000`,
    removing: `.out.txt.mrstream-${DEAD}-1765000000001.removing`,
    dir: `.parts.mrstream-${DEAD}-Ab12Cd`,
    // a run still going (this test's own process) and names that are not a run's: kept
    live: `.out.txt.mrstream-${process.pid}-1765000000000`,
    other: `.out.txt.mrstream-${DEAD}-notatempname`,
    otherTarget: `.other.txt.mrstream-${DEAD}-1765000000000`,
  }
  for (const name of [left.file, left.removing, left.live, left.other, left.otherTarget]) writeFileSync(join(dir, name), 'partial')
  mkdirSync(join(dir, left.dir))
  writeFileSync(join(dir, left.dir, 'part-00000'), 'partial')

  const r = await mrs(t, dir, ['-o', 'out.txt', 'in.txt'])
  t.equal(r.code, 0, r.stderr)
  t.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), 'a\t1\nb\t2\n')
  for (const name of [left.file, left.removing]) {
    t.match(r.stderr, `mrstream: note: removed ${join(dir, name)}, a partial output left by an mrstream run that was killed\n`, `says it removed ${name}`)
  }
  t.same(hidden(dir), [left.dir, left.live, left.other, left.otherTarget].sort(), 'the file\'s leftovers are gone; a live run\'s, another target\'s and other names are kept')

  const parts = await mrs(t, dir, ['-o', 'parts', '--reducers', '2', 'in.txt'])
  t.equal(parts.code, 0, parts.stderr)
  t.match(parts.stderr, `mrstream: note: removed ${join(dir, left.dir)}, a partial output`, 'says it removed the partial directory')
  t.notOk(existsSync(join(dir, left.dir)), 'the partial directory is gone')
  t.same(readdirSync(join(dir, 'parts')).sort(), ['_SUCCESS', 'part-00000', 'part-00001'])

  writeFileSync(join(dir, left.file), 'partial')
  const quiet = await mrs(t, dir, ['-o', 'out.txt', '-q', 'in.txt'])
  t.equal(quiet.stderr, '', '-q: nothing said')
  t.notOk(existsSync(join(dir, left.file)), '-q: removed all the same')
})
