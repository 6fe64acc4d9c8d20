// mrstream's own files. This module runs compiled, as dist/lib/paths.js, and inside the bundles
// in dist/bin/ (package.json's build script): both two levels below the package's root, so
// paths from here are the same in either.
import { fileURLToPath } from 'node:url'

/** The package's root directory, as a file: URL with a trailing slash. */
export const packageUrl = new URL('../../', import.meta.url)

/** The package's root directory, with a trailing slash. */
export const packageRoot = fileURLToPath(packageUrl)

/** A module of the compiled library (dist/lib/, one file a module). */
export function libModule (path: string): URL {
  return new URL(`dist/lib/${path}`, packageUrl)
}

/**
 * The package's entry in the same form as the running engine (index.js beside this module):
 * the bundled one (package.json's exports) or, for code loaded from dist/lib, the compiled one.
 */
export const mainModule = new URL('./index.js', import.meta.url)
