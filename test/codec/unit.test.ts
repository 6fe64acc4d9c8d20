// test/codec/'s unit tests (*.unit.ts) in one process, as a test file's process costs about
// 0.75 CPU s before its first test. One of them alone: node test/codec/bytes.unit.js
import './bytes.unit.js'
import './keys.unit.js'
import './values.unit.js'
