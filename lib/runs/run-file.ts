// A run file's writer, reader and footer under one name, for the modules that import them from
// here (exec/engine.ts, exec/pool.ts, map/sort-buffer.ts). run-format.ts has the layout,
// run-writer.ts and run-reader.ts the rest.
export { readFooter, type RunInfo } from './run-format.js'
export { RunWriter } from './run-writer.js'
