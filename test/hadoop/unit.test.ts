// test/hadoop/'s tests (*.unit.ts) in one process, as a test file's process costs about 0.75 CPU s
// before its first test. One of them alone: node test/hadoop/sim.unit.js
import './bundle.unit.js'
import './command.unit.js'
import './family.unit.js'
import './sim.unit.js'
