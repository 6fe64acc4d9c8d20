// The documentation as a user meets it: README.md and docs/*.md.
// - Runnable commands: in ```sh blocks, a command (continuation lines joined, comments dropped)
//   whose first word is `mrstream`, `npx mrstream`, `node` or `cat` and that names a bundled
//   example (`examples/`) is run with bash, `mrstream` being the built binary, in a scratch
//   directory where `examples` and `dist` are links to the repository's; it must exit 0 and
//   leave its temp directory empty. Other commands (placeholders, clusters) are shown only.
// - Links: every relative link points at a file or directory that exists, and a `#anchor`
//   into a Markdown file at one of its headings.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter(f => f.endsWith('.md')).sort().map(f => `docs/${f}`)]
const text = new Map(pages.map(p => [p, readFileSync(join(root, p), 'utf8')]))

const FENCE = /^```([\w-]*)[^\n]*\n([\s\S]*?)^```[ \t]*$/gm

/** The text of `s` from an unquoted ` #` on: a shell comment (quotes as bash reads them). */
function dropComment (s: string): string {
  let quote = ''
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (quote !== '') {
      if (c === quote) quote = ''
      else if (c === '\\' && quote === '"') i++
    } else if (c === '\'' || c === '"') quote = c
    else if (c === '\\') i++
    else if (c === '#' && (i === 0 || /\s/.test(s[i - 1]!))) return s.slice(0, i).trimEnd()
  }
  return s.trimEnd()
}

/** The commands of a sh block: continuation lines joined, comments and blank lines dropped. */
function shellCommands (block: string): string[] {
  const out: string[] = []
  let pending = ''
  for (const raw of block.split('\n')) {
    const line = dropComment(raw)
    if (line.endsWith('\\')) { pending += line.slice(0, -1); continue }
    const command = (pending + line).trim()
    pending = ''
    if (command !== '') out.push(command)
  }
  return out
}

const RUNNERS = /^(mrstream|npx mrstream|node|cat)\s/

/** Commands to run, each with the pages that show it. */
function runnable (): Map<string, string[]> {
  const found = new Map<string, string[]>()
  for (const [page, md] of text) {
    for (const m of md.matchAll(FENCE)) {
      if (m[1] !== 'sh') continue
      for (const command of shellCommands(m[2]!)) {
        if (!RUNNERS.test(command) || !command.includes('examples/')) continue
        found.set(command, [...(found.get(command) ?? []), page])
      }
    }
  }
  return found
}

// `mrstream` and `npx mrstream` as a user with the package installed would run them (without
// tap's loader, which tap's spawn hook puts back into the shell's NODE_OPTIONS)
const PRELUDE = `set -o pipefail
unset NODE_OPTIONS
mrstream () { node ${JSON.stringify(join(root, 'dist/bin/mrstream.js'))} "$@"; }
npx () { if [ "$1" = mrstream ]; then shift; mrstream "$@"; else command npx "$@"; fi; }
`

const children = new Set<ChildProcess>()
t.teardown(() => { for (const c of children) { try { process.kill(-c.pid!, 'SIGKILL') } catch {} } })

function runShell (command: string, cwd: string, tmp: string): Promise<{ code: number | null, stderr: string }> {
  return new Promise((resolve, reject) => {
    // (tap's NODE_OPTIONS would load its hooks into every worker thread: a user has none)
    const env: Record<string, string | undefined> = { ...process.env, TMPDIR: tmp }
    delete env.NODE_OPTIONS
    const child = spawn('bash', ['-c', PRELUDE + command], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true })
    children.add(child)
    const err: Buffer[] = []
    child.stderr!.on('data', (b: Buffer) => err.push(b))
    child.on('error', reject)
    child.on('close', code => {
      children.delete(child)
      resolve({ code, stderr: Buffer.concat(err).toString('utf8') })
    })
  })
}

t.test('the runnable commands of README.md and docs/ exit 0', async t => {
  const commands = [...runnable()]
  t.ok(commands.length >= 5, `found ${commands.length} commands that use the bundled examples`)
  t.ok(commands.some(([, where]) => where.includes('README.md')), 'README.md has some')
  const scratch = t.testdir()
  // two at a time: the machine may be shared, and each run starts worker threads
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < commands.length) {
      const i = next++
      const [command, where] = commands[i]!
      const cwd = join(scratch, `run-${i}`)
      mkdirSync(cwd)
      for (const name of ['examples', 'dist']) symlinkSync(join(root, name), join(cwd, name))
      const tmp = join(cwd, 'tmp')
      mkdirSync(tmp)
      const { code, stderr } = await runShell(command, cwd, tmp)
      t.equal(code, 0, `${where.join(', ')}: ${command}`, { stderr: stderr.slice(-2000) })
      // (tsx, which compiles TypeScript jobs, keeps a cache of its own there)
      t.same(readdirSync(tmp).filter(f => f.startsWith('mrstream-')), [], `no temp files left by: ${command}`)
    }
  }
  await Promise.all([worker(), worker()])
})

/** GitHub's anchors for a Markdown page's headings. */
function anchors (md: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  for (const m of md.replace(FENCE, '').matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1]!.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

t.test('every relative link in README.md and docs/ points at something that exists', async t => {
  let checked = 0
  for (const [page, md] of text) {
    const prose = md.replace(FENCE, '').replace(/`[^`\n]*`/g, '')
    for (const m of prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1]!
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // http:, https:, mailto:
      const [path, anchor] = target.split('#') as [string, string | undefined]
      const file = path === '' ? join(root, page) : resolve(root, dirname(page), path)
      const name = relative(root, file)
      checked++
      if (!t.ok(existsSync(file), `${page}: ${target} (${name} exists)`)) continue
      if (anchor !== undefined && file.endsWith('.md')) {
        t.ok(anchors(readFileSync(file, 'utf8')).has(anchor), `${page}: ${target} (${name} has a heading #${anchor})`)
      }
    }
  }
  t.ok(checked > 20, `${checked} links checked`)
})

t.test('shell commands are read as bash reads them', async t => {
  t.same(shellCommands('# a comment\nmrstream -m \'(l) => "#"\' -r sum a \\\n  b  # sum\n\nnode x'),
    ['mrstream -m \'(l) => "#"\' -r sum a   b', 'node x'])
  t.same([...anchors('# A `b`, c\n## 1. Input\n## Input\n## Input\n```\n# not a heading\n```\n')], ['a-b-c', '1-input', 'input', 'input-1'])
})
