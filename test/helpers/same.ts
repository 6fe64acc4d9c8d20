// A deep comparison for large results (thousands of groups): tap's own t.same takes about ten
// times node's isDeepStrictEqual there.
import type { Test } from 'tap'
import { isDeepStrictEqual } from 'node:util'

/**
 * t.same(got, want, message), its outcome unchanged: values isDeepStrictEqual finds equal are
 * equivalent to t.same too; the others (unequal, or unequal only in what t.same ignores) go to
 * t.same, which passes or fails them as ever, with its diff.
 */
export function deepSame (t: Test, got: unknown, want: unknown, message = 'should be equivalent'): boolean {
  return isDeepStrictEqual(got, want) ? t.pass(message) : t.same(got, want, message)
}
