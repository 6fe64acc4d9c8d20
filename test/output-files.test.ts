// Output files as docs/guarantees.md ("Output files") states them: what a killed run leaves
// beside its target and who removes it, the modes of what is written, the owner and group an
// existing file keeps, and the targets refused before the job runs. Every run spawns the built
// binary with a fresh --tmp-dir that must hold nothing afterwards.
import t, { type Test } from 'tap'
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnCli, type Result, type SpawnOptions } from './helpers/cli.js'
import { BIG_RUN, killFixture, OUT, runAndStop, siblings } from './helpers/kill.js'

// a process id no process has: the largest pid_max allows, plus one
const DEAD = 4194305
const COUNT = ['-m', '(l, emit) => { for (const w of l.split(" ")) emit(w, 1) }', '-r', 'count', '--workers', '1']

async function mrs (t: Test, dir: string, args: string[], opts: SpawnOptions = {}): Promise<Result> {
  const tmp = mkdtempSync(join(dir, 'tmp-'))
  if (opts.uid !== undefined) chmodSync(tmp, 0o1777)
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

// The large output's run with two workers: two reduce tasks, so that the commit copies (the
// first fragment of a file becomes it, linked, the others are copied after it) and a run can
// be killed mid-copy.
const COPYING_RUN = BIG_RUN.map((a, k) => (BIG_RUN[k - 1] === '--workers' ? '2' : a))

t.test('the temp file beside a private target is private from its first byte, also when a killed run leaves it', async t => {
  const dir = t.testdir(killFixture())
  const tmp = mkdtempSync(join(dir, 'tmp-'))
  const target = join(dir, OUT.file)
  writeFileSync(target, 'secret\n')
  chmodSync(target, 0o600)
  // killed as the temp file appears (its mode looked at then), until one is left mid-copy
  const modes: number[] = []
  let left: string[] = []
  for (let attempt = 0; attempt < 4 && left.length === 0; attempt++) {
    const seen = (path: string): void => { try { modes.push(statSync(path).mode & 0o777) } catch {} }
    const r = await runAndStop(dir, tmp, [...COPYING_RUN, '-o', OUT.file], 'file', { phase: 'commit', sig: 'SIGKILL', delayMs: 0, seen })
    t.equal(r.signal, 'SIGKILL')
    left = siblings(dir, 'file')
  }
  t.ok(modes.length > 0 && left.length > 0, 'a temp file was seen, and one was left mid-copy')
  t.same(modes, modes.map(() => 0o600), 'the temp file is 0600 as it appears')
  for (const name of left) t.equal(statSync(join(dir, name)).mode & 0o777, 0o600, `${name}, left, is 0600`)
  t.equal(statSync(target).mode & 0o777, 0o600, 'the target keeps its mode')

  // a new file gets the umask's mode once whole (the child inherits this process's umask)
  const fresh = await mrs(t, dir, ['-o', 'new.txt', '-q', 'in.txt'])
  t.equal(fresh.code, 0, fresh.stderr)
  t.equal(statSync(join(dir, 'new.txt')).mode & 0o777, 0o666 & ~process.umask(), 'a new file: 0666 less the umask')
})

t.test('the temp directory of -o DIR is private until it is whole', async t => {
  const dir = t.testdir(killFixture())
  const tmp = mkdtempSync(join(dir, 'tmp-'))
  let left: string[] = []
  for (let attempt = 0; attempt < 4 && left.length === 0; attempt++) {
    const r = await runAndStop(dir, tmp, [...COPYING_RUN, '-o', OUT.dir, '--reducers', '2'], 'dir', { phase: 'commit', sig: 'SIGKILL', delayMs: 0 })
    t.equal(r.signal, 'SIGKILL')
    left = siblings(dir, 'dir')
  }
  t.ok(left.length > 0, 'a temp directory was left mid-copy')
  for (const name of left) t.equal(statSync(join(dir, name)).mode & 0o777, 0o700, `${name}, left, is 0700`)
  const r = await mrs(t, dir, ['-o', OUT.dir, '--reducers', '2', '-q', 'in.txt'])
  t.equal(r.code, 0, r.stderr)
  t.equal(statSync(join(dir, OUT.dir)).mode & 0o777, 0o777 & ~process.umask(), 'whole: 0777 less the umask, as mkdir makes it')
})

const asRoot = { skip: process.getuid?.() === 0 ? false : 'needs root: to give files to other users, and to run as one' }
// nobody, and a user id no one has
const NOBODY = 65534
const OTHER = 65533

const owner = (path: string): [number, number, number] => {
  const st = statSync(path)
  return [st.uid, st.gid, st.mode & 0o7777]
}

t.test('root writing onto another user\'s file keeps its owner, group and mode', asRoot, async t => {
  const dir = t.testdir({ 'in.txt': 'b a b\n', 'theirs.txt': 'old\n', 'group.txt': 'old\n' })
  const files: Array<[string, [number, number, number]]> = [['theirs.txt', [NOBODY, NOBODY, 0o640]], ['group.txt', [0, NOBODY, 0o660]]]
  for (const [name, [uid, gid, mode]] of files) {
    chownSync(join(dir, name), uid, gid)
    chmodSync(join(dir, name), mode)
    const r = await mrs(t, dir, ['-o', name, '-q', 'in.txt'])
    t.equal(r.code, 0, r.stderr)
    t.equal(readFileSync(join(dir, name), 'utf8'), 'a\t1\nb\t2\n', `${name}: the new output`)
    t.same(owner(join(dir, name)), [uid, gid, mode], `${name}: owner, group and mode kept`)
  }
  t.same(hidden(dir), [], 'nothing left beside them')
})

t.test('a file whose owner and group a new one could not keep, one a sticky directory keeps, and a read-only one are refused before the job runs', asRoot, async t => {
  const dir = t.testdir({ 'in.txt': 'b a b\n', sticky: { 'theirs.txt': 'old\n', 'mine.txt': 'old\n' }, open: { 'theirs.txt': 'old\n', 'readonly.txt': 'old\n' } })
  chmodSync(join(dir, 'sticky'), 0o1777)
  chmodSync(join(dir, 'open'), 0o777)
  const set: Array<[string, number, number]> = [['sticky/theirs.txt', OTHER, 0o666], ['sticky/mine.txt', NOBODY, 0o644], ['open/theirs.txt', OTHER, 0o666], ['open/readonly.txt', NOBODY, 0o444]]
  for (const [name, uid, mode] of set) {
    chownSync(join(dir, name), uid, uid)
    chmodSync(join(dir, name), mode)
  }
  const asNobody = { uid: NOBODY, gid: NOBODY }
  const refused: Array<[string, RegExp]> = [
    ['sticky/theirs.txt', /^mrstream: output sticky\/theirs\.txt belongs to another user \(uid 65533\), in .*sticky, a directory with the sticky bit where only its owner may replace it/m],
    ['open/theirs.txt', /^mrstream: output open\/theirs\.txt belongs to uid 65533, gid 65533: mrstream replaces a file by renaming a new one over it, which could not be given that owner and group \(EPERM\)/m],
    ['open/readonly.txt', /^mrstream: output open\/readonly\.txt is not writable$/m],
  ]
  for (const [name, message] of refused) {
    const before = owner(join(dir, name))
    const r = await mrs(t, dir, ['-o', name, 'in.txt'], asNobody)
    t.equal(r.code, 2, `${name}: a usage error, before the job runs (${r.stderr})`)
    t.match(r.stderr, message, `${name}: says why`)
    t.equal(readFileSync(join(dir, name), 'utf8'), 'old\n', `${name}: untouched`)
    t.same(owner(join(dir, name)), before, `${name}: owner, group and mode as they were`)
  }
  const mine = await mrs(t, dir, ['-o', 'sticky/mine.txt', '-q', 'in.txt'], asNobody)
  t.equal(mine.code, 0, `one's own file in a sticky directory is written (${mine.stderr})`)
  t.equal(readFileSync(join(dir, 'sticky/mine.txt'), 'utf8'), 'a\t1\nb\t2\n')
  t.same(owner(join(dir, 'sticky/mine.txt')), [NOBODY, NOBODY, 0o644], 'and keeps its owner, group and mode')
  t.same([...hidden(join(dir, 'sticky')), ...hidden(join(dir, 'open'))], [], 'no probe or temp file left')
})
