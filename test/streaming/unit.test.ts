// test/streaming/'s unit tests (*.unit.ts) in one process, as a test file's process costs about
// 0.75 CPU s before its first test. One of them alone: node test/streaming/protocol.unit.js
import './protocol.unit.js'
