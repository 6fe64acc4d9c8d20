// test/runs/'s unit tests (*.unit.ts) in one process, as a test file's process costs about
// 0.75 CPU s before its first test. One of them alone: node test/runs/merge.unit.js
import './merge.unit.js'
import './msgpack-numbers.unit.js'
import './run-format.unit.js'
import './run-reader.unit.js'
import './run-writer.unit.js'
