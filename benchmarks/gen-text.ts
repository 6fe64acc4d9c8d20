// Text generators: Zipf-distributed words (kind `words`), real text (kind `text`: the Gutenberg
// books of test/fixtures/gutenberg/, repeated) and random lines (kind `lines`).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LineWriter } from './line-writer.js'
import { GUTENBERG_DIR } from './paths.js'
import { Random, Zipf, distinctFor, scramble } from './random.js'

// ---------------------------------------------------------------------------------------------
// words: Zipf-distributed words, 10-15 to a line, single spaces.

const CONSONANTS = 'bcdfghjklmnprstvwxyz' // 20
const VOWELS = 'aeiou' // 5
const FINALS = 'nrstl'

/**
 * The word of rank r: r in bijective base 100 over consonant-vowel syllables, sometimes with
 * a final consonant chosen by r. Frequent (low) ranks get short words; all words are distinct.
 */
export function wordOfRank (r: number): string {
  let word = ''
  let n = r + 1
  while (n > 0) {
    const d = (n - 1) % 100
    word += CONSONANTS[d % 20]! + VOWELS[Math.floor(d / 20)]!
    n = Math.floor((n - 1) / 100)
  }
  const h = scramble(r, 7)
  return h % 3 === 0 ? word + FINALS[(h >>> 8) % 5]! : word
}

/** Bytes per word in the vocabulary table: a length byte, then the word (at most 15 bytes). */
const SLOT = 16

/**
 * All words of a vocabulary in fixed 16-byte slots (word r at r * SLOT): one cache line holds
 * a word and its length. With separate offset and byte arrays, the two cache misses per rare
 * word cost more than sampling it (115 vs 36 ns per word for 435k words).
 */
function vocabulary (n: number): Uint8Array {
  const slots = new Uint8Array(n * SLOT)
  for (let r = 0; r < n; r++) {
    const word = wordOfRank(r)
    slots[r * SLOT] = word.length
    for (let i = 0; i < word.length; i++) slots[r * SLOT + 1 + i] = word.charCodeAt(i)
  }
  return slots
}

/**
 * A vocabulary of about 1M words at 200 MB (a key index of ~1M keys), growing like Heaps' law:
 * 500k at 64 MB, 2.6M at 1 GiB.
 */
export function generateWords (w: LineWriter, target: number, rng: Random): void {
  const n = distinctFor(target, 2_660_000, 1000)
  const slots = vocabulary(n)
  const zipf = new Zipf(n, 1)
  while (w.size < target) {
    w.startLine()
    const count = 10 + rng.below(6)
    for (let i = 0; i < count; i++) {
      if (i > 0) w.byte(32)
      const at = zipf.sample(rng) * SLOT
      w.slice(slots, at + 1, at + 1 + slots[at]!)
    }
    w.byte(10)
  }
}

// ---------------------------------------------------------------------------------------------
// text: the eight Gutenberg books of test/fixtures/gutenberg/ (3.3 MB, ASCII, LF), in name order, again
// and again until the target size; every copy is whole lines.

export function generateText (w: LineWriter, target: number): void {
  const books = readdirSync(GUTENBERG_DIR).filter(f => f.endsWith('.txt')).sort()
  const corpus = Buffer.concat(books.map(f => readFileSync(join(GUTENBERG_DIR, f))))
  if (corpus.length === 0) throw new Error(`no books in ${GUTENBERG_DIR}`)
  while (w.size < target) {
    for (let at = 0; at < corpus.length && w.size < target;) {
      const end = corpus.indexOf(10, at) + 1 || corpus.length
      w.startLine()
      w.slice(corpus, at, end)
      if (corpus[end - 1] !== 10) w.byte(10)
      at = end
    }
  }
}

// ---------------------------------------------------------------------------------------------
// lines: random text lines for sorting, mostly distinct (about 2% repeat an earlier line).
// Printable ASCII with some non-ASCII letters (all in the BMP); no tabs or backslashes.

const LINE_PREFIXES = ['the ', 'The ', 'a ', 'error: ', 'INFO ', 'GET /', 'user ', 'order #', 'http://', 'zz top ', '2024-03-01 ']
const LETTERS = 'abcdefghijklmnopqrstuvwxyz'
const CAPITALS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
const PUNCTUATION = '.,;:-_!?\'()/"#'
const NON_ASCII = ['é', 'ü', 'ß', 'ñ', 'ø', 'ж', 'λ', 'ψ', '日', '本', '€', 'ﬁ']

/** The line for one seed: the same seed always gives the same line. */
function randomLine (w: LineWriter, r: Random): void {
  if (r.next() < 0.3) w.ascii(r.pick(LINE_PREFIXES))
  const length = 8 + r.below(100)
  for (let i = 0; i < length; i++) {
    // One random number per character: the low 10 bits choose the class, the rest the character.
    const x = r.uint32()
    const u = x & 1023
    const pick = x >>> 10
    if (u < 154) w.byte(32)
    else if (u < 911) w.byte(LETTERS.charCodeAt(pick % 26))
    else if (u < 972) w.byte(48 + pick % 10)
    else if (u < 998) w.byte(CAPITALS.charCodeAt(pick % 26))
    else if (u < 1021) w.byte(PUNCTUATION.charCodeAt(pick % PUNCTUATION.length))
    else w.utf8(NON_ASCII[pick % NON_ASCII.length]!)
  }
  w.byte(10)
}

export function generateLines (w: LineWriter, target: number, rng: Random): void {
  const lineRng = new Random(0)
  while (w.size < target) {
    w.startLine()
    // A repeat comes from a pool of 5000 seeds; other seeds are fresh (rarely equal by chance).
    lineRng.reseed(rng.next() < 0.02 ? 0x5EED0000 + rng.below(5000) : rng.uint32())
    randomLine(w, lineRng)
  }
}
