// The `logs` generator: Apache combined log lines with Zipfian client IPs and paths.
//   203.0.113.9 - - [01/Mar/2024:00:00:07 +0000] "GET /products/4512 HTTP/1.1" 200 5234 "-" "Mozilla/5.0 ..."
import { wordOfRank } from './gen-text.js'
import type { LineWriter } from './line-writer.js'
import { Random, Zipf, distinctFor, scramble } from './random.js'

//   203.0.113.9 - - [01/Mar/2024:00:00:07 +0000] "GET /products/4512 HTTP/1.1" 200 5234 "-" "Mozilla/5.0 ..."

type PathKind = 'page' | 'static' | 'api' | 'missing'
interface LogPath { text: Buffer, kind: PathKind, size: number }

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const SECTIONS = ['products', 'blog', 'docs', 'category', 'users', 'help', 'news', 'search']
const TOPICS = ['shoes', 'garden', 'kitchen', 'travel', 'music', 'books', 'sport', 'tools', 'toys', 'coffee', 'bikes', 'cameras']
const ASSETS = [['css', 'css'], ['js', 'js'], ['img', 'png'], ['img', 'jpg'], ['fonts', 'woff2']] as const
const PROBES = ['/wp-login.php', '/.env', '/admin/config.php', '/xmlrpc.php', '/phpmyadmin/index.php', '/.git/config', '/cgi-bin/test.cgi']
const TOP_PATHS = ['/', '/index.html', '/favicon.ico', '/robots.txt', '/static/css/site.css', '/static/js/app.js', '/login', '/cart']
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'curl/8.5.0',
  'python-requests/2.31.0',
  'Wget/1.21.4',
]
const SEARCH_REFERERS = ['https://www.google.com/', 'https://www.bing.com/', 'https://duckduckgo.com/']

/** The path of rank r: a few well-known top paths, then pages, assets, API calls and probes. */
function logPath (r: number, seed: number): LogPath {
  const rng = new Random(scramble(r, seed))
  if (r < TOP_PATHS.length) {
    const text = TOP_PATHS[r]!
    return { text: Buffer.from(text), kind: text.startsWith('/static') || text.endsWith('.ico') || text.endsWith('.txt') ? 'static' : 'page', size: 800 + rng.below(40_000) }
  }
  const id = scramble(r, seed + 1) % 1_000_000
  const u = rng.next()
  let text: string
  let kind: PathKind
  if (u < 0.03) {
    text = `${rng.pick(PROBES)}?x=${id}`
    kind = 'missing'
  } else if (u < 0.35) {
    const [dir, ext] = rng.pick(ASSETS)
    text = `/static/${dir}/${rng.pick(TOPICS)}-${r.toString(36)}.${(id * 2654435761 >>> 0).toString(16)}.${ext}`
    kind = 'static'
  } else if (u < 0.55) {
    text = `/api/v1/${rng.pick(['users', 'orders', 'items', 'carts'])}/${id}${rng.next() < 0.3 ? '/history' : ''}`
    kind = 'api'
  } else {
    const section = rng.pick(SECTIONS)
    text = section === 'search'
      ? `/search?q=${rng.pick(TOPICS)}+${wordOfRank(r)}&page=${1 + rng.below(5)}`
      : `/${section}/${rng.pick(TOPICS)}/${wordOfRank(r)}-${id}`
    kind = 'page'
  }
  const size = kind === 'static' ? 500 + rng.below(300_000) : kind === 'api' ? 80 + rng.below(4000) : 2000 + rng.below(60_000)
  return { text: Buffer.from(text), kind, size }
}

function logPaths (n: number, seed: number): LogPath[] {
  const paths: LogPath[] = []
  for (let r = 0; r < n; r++) paths.push(logPath(r, seed))
  return paths
}

function clientIps (n: number, seed: number): Buffer[] {
  const ips: Buffer[] = []
  for (let r = 0; r < n; r++) {
    const x = scramble(r, seed + 2)
    ips.push(Buffer.from(`${1 + (x >>> 24) % 223}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${1 + (x & 255) % 254}`))
  }
  return ips
}

function two (n: number): string { return n < 10 ? `0${n}` : String(n) }

/** "[01/Mar/2024:00:00:07 +0000]" for a Unix time in seconds. */
function logDate (seconds: number): string {
  const d = new Date(seconds * 1000)
  return `[${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000]`
}

/** Status and response size (-1 for Apache's "-") of one request to a path. */
function response (path: LogPath, method: string, rng: Random): [status: number, bytes: number] {
  if (path.kind === 'missing') return [404, 150 + rng.below(400)]
  const u = rng.next()
  if (u < 0.86) {
    if (method === 'HEAD') return [200, -1]
    return [200, path.kind === 'static' ? path.size : Math.round(path.size * (0.8 + 0.4 * rng.next()))]
  }
  if (u < 0.93) return [304, -1]
  if (u < 0.96) return [404, 196 + rng.below(300)]
  if (u < 0.975) return [302, 200 + rng.below(100)]
  if (u < 0.985) return [206, 1 + rng.below(path.size)]
  if (u < 0.995) return [500, 500 + rng.below(200)]
  return [503, 299]
}

export function generateLogs (w: LineWriter, target: number, rng: Random, seed: number): void {
  const paths = logPaths(distinctFor(target, 100_000, 200), seed)
  const ips = clientIps(distinctFor(target, 150_000, 300), seed)
  const pathZipf = new Zipf(paths.length, 1)
  const ipZipf = new Zipf(ips.length, 1.1)
  const agentZipf = new Zipf(AGENTS.length, 1)
  let now = Date.UTC(2024, 2, 1) / 1000 + (seed % 1000) * 86_400
  let dateOf = -1
  let date = ''
  while (w.size < target) {
    w.startLine()
    now += rng.below(3)
    if (now !== dateOf) { date = logDate(now); dateOf = now }
    const path = paths[pathZipf.sample(rng)]!
    const method = path.kind === 'api' && rng.next() < 0.3 ? 'POST' : rng.next() < 0.03 ? 'HEAD' : 'GET'
    const [status, bytes] = response(path, method, rng)
    w.bytes(ips[ipZipf.sample(rng)]!)
    w.ascii(' - - ')
    w.ascii(date)
    w.ascii(' "')
    w.ascii(method)
    w.byte(32)
    w.bytes(path.text)
    w.ascii(' HTTP/1.1" ')
    w.int(status)
    w.byte(32)
    if (bytes < 0) w.byte(45) // '-'
    else w.int(bytes)
    w.ascii(' "')
    const ref = rng.next()
    if (ref < 0.45) w.byte(45)
    else if (ref < 0.85) { w.ascii('https://www.example.com'); w.bytes(paths[pathZipf.sample(rng)]!.text) } else w.ascii(rng.pick(SEARCH_REFERERS))
    w.ascii('" "')
    w.ascii(AGENTS[agentZipf.sample(rng)]!)
    w.ascii('"\n')
  }
}
