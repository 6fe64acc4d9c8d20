// Keys for property tests on the sort buffer's keys.
import fc from 'fast-check'

// few characters, chosen at the edges of the prefix encoding: NUL (beside the end of a key),
// 0x7f/0x80 (one and two UTF-8 bytes), 0xff, Cyrillic, BMP characters above the surrogates,
// and an astral one (four bytes, after every BMP character)
const chars = ['\0', 'a', 'b', '\u007f', '\u0080', '\u00ff', '\u0100', '\u0416', '\u20ac', '\uffff', '\u{1f600}']
export const key = fc.array(fc.constantFrom(...chars), { maxLength: 12 }).map(a => a.join(''))
