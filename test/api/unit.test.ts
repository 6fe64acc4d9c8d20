// test/api/'s tests (*.unit.ts) in one process, as a test file's process costs about 0.75 CPU s
// before its first test. One of them alone: node test/api/options.unit.js
import './options.unit.js'
import './highland.unit.js'
import './ship.unit.js'
import './scenarios.unit.js'
import './run-job.unit.js'
import './backpressure.unit.js'
// (the last: its t.setTimeout, the longest, is the one that holds)
import './property.unit.js'
