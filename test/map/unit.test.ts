// test/map/'s unit tests (*.unit.ts) in one process, as a test file's process costs about
// 0.75 CPU s before its first test. One of them alone: node test/map/key-arena.unit.js
import './key-arena.unit.js'
import './key-index.unit.js'
import './map-task.unit.js'
import './number-log.unit.js'
import './pending.unit.js'
