// Node's Buffer methods behind `toString(encoding, start, end)` and `write(s, offset, encoding)`,
// called without those wrappers' argument checks and encoding lookup. On hot paths (a key or
// line at a time) the wrappers cost more than the copy: a run file's sort-lines groups took
// 560 -> 400 ns each to write. Callers keep offsets in range themselves.

interface RawBuffer extends Buffer {
  utf8Write: (s: string, offset: number) => number
  latin1Write: (s: string, offset: number) => number
  utf8Slice: (start: number, end: number) => string
  latin1Slice: (start: number, end: number) => string
}

/** Writes `s` as UTF-8 at `offset` (the caller made room for 3 bytes a UTF-16 unit); returns the bytes written. */
export function utf8Write (b: Buffer, s: string, offset: number): number {
  return (b as RawBuffer).utf8Write(s, offset)
}

/** Writes a one-byte string's chars as bytes at `offset`; returns the bytes written. */
export function latin1Write (b: Buffer, s: string, offset: number): number {
  return (b as RawBuffer).latin1Write(s, offset)
}

export function utf8Slice (b: Buffer, start: number, end: number): string {
  return (b as RawBuffer).utf8Slice(start, end)
}

export function latin1Slice (b: Buffer, start: number, end: number): string {
  return (b as RawBuffer).latin1Slice(start, end)
}
