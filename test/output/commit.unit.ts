// commit.ts: an output file, or a part file, is its fragments one after another; the first
// fragment becomes the file itself (linked, its name removed: not copied) where the temp
// directory is on the output's filesystem, and is copied where it is not.
import t from 'tap'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { commitOutput } from '../../dist/lib/output/commit.js'

const dir = mkdtempSync(join(tmpdir(), 'mrstream-test-commit-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

/** Fragment files in `where` (0600, as a reduce task writes them), with `texts`. */
function fragments (where: string, texts: string[]): string[] {
  return texts.map((text, i) => {
    const p = join(where, `reduce-t${i}-p0-a1.out`)
    writeFileSync(p, text, { mode: 0o600 })
    return p
  })
}

t.test('a file output is its fragments in order; the first one is the file, not a copy', async t => {
  for (const texts of [['a\t1\n'], ['a\t1\n', 'b\t2\n', ''], ['', 'c\t3\n']]) {
    const frags = fragments(mkdtempSync(join(dir, 'tmp-')), texts)
    const inode = statSync(frags[0]!).ino
    const out = join(dir, `out-${texts.length}.txt`)
    await commitOutput({ kind: 'file', path: out, partitions: 1 }, frags.map(f => [f]), process.stdout)
    t.equal(readFileSync(out, 'utf8'), texts.join(''))
    t.equal(statSync(out).ino, inode, 'the first fragment became the output')
    t.notOk(existsSync(frags[0]!), 'its name is gone from the temp directory')
    t.ok(frags.slice(1).every(existsSync), 'the others were copied (the temp directory removes them)')
    t.equal(statSync(out).mode & 0o777, 0o666 & ~process.umask(), 'a new file\'s mode, as if made anew')
  }
})

t.test('part files: each partition\'s first fragment becomes its part file', async t => {
  const tmp = mkdtempSync(join(dir, 'tmp-'))
  const frags = [0, 1].map(task => [0, 1, 2].map(p => {
    const f = join(tmp, `reduce-t${task}-p${p}-a1.out`)
    writeFileSync(f, `t${task}p${p}\n`, { mode: 0o600 })
    return f
  }))
  const out = join(dir, 'parts')
  await commitOutput({ kind: 'dir', path: out, partitions: 3 }, frags, process.stdout)
  t.same(readdirSync(out).sort(), ['_SUCCESS', 'part-00000', 'part-00001', 'part-00002'])
  for (let p = 0; p < 3; p++) {
    t.equal(readFileSync(join(out, `part-0000${p}`), 'utf8'), `t0p${p}\nt1p${p}\n`)
    t.equal(statSync(join(out, `part-0000${p}`)).mode & 0o777, 0o666 & ~process.umask())
  }
})

// (another filesystem than the test's temp directory's, if this machine has one)
const other = ['/dev/shm'].find(d => existsSync(d) && statSync(d).dev !== statSync(dir).dev)
t.test('fragments on another filesystem are copied', { skip: other === undefined ? 'no other filesystem to write to' : false }, async t => {
  const tmp = mkdtempSync(join(other!, 'mrstream-test-commit-'))
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }))
  const frags = fragments(tmp, ['x\t1\n', 'y\t2\n'])
  const out = join(dir, 'across.txt')
  await commitOutput({ kind: 'file', path: out, partitions: 1 }, frags.map(f => [f]), process.stdout)
  t.equal(readFileSync(out, 'utf8'), 'x\t1\ny\t2\n')
  t.ok(frags.every(existsSync), 'both copied, left to the temp directory\'s removal')
})
