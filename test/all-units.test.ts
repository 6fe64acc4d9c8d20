// Every folder's unit tests in one process: test/*/unit.test.ts, each of which imports its
// folder's *.unit.ts. A test file's process costs about 0.7 CPU s before its first test, so tap
// runs this file alone, not each folder's (package.json: tap.exclude). One folder's alone:
// npx tap test/map/unit.test.js
// (Its name sorts first: tap starts its files in name order, two at a time, and this one is among
// the longest; started last, it would leave a core idle at the end.)
import { existsSync, readdirSync } from 'node:fs'

const here = new URL('./', import.meta.url)
for (const folder of readdirSync(here, { withFileTypes: true }).filter(d => d.isDirectory()).map(d => d.name).sort()) {
  if (existsSync(new URL(`${folder}/unit.test.js`, here))) await import(`./${folder}/unit.test.js`)
}
