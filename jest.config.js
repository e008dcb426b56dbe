// Native ESM jest: oidc-provider is ESM-only, so tests run under --experimental-vm-modules
// and @swc/jest strips types without changing module format.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'es6' } }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 30000,
  maxWorkers: 2,
  // Longest first also when jest has not timed the files yet (test/slow-first-sequencer.js).
  testSequencer: '<rootDir>/test/slow-first-sequencer.js',
  // Under --experimental-vm-modules Node never frees a test file's ES modules (nodejs/node#59118,
  // jestjs/jest#14605): a flow test file leaves ~20 MB of heap in its worker, and a worker that had
  // run half the suite held ~800 MB (1.2 GB resident). When the run ends, V8 unmaps all of that
  // before the process is gone (Heap::TearDown), 250-700 ms on two busy CPUs, and jest, which waits
  // 500 ms, printed "A worker process has failed to exit gracefully" though nothing was left open.
  // A worker whose heap has passed this size is replaced by a fresh one between two test files.
  workerIdleMemoryLimit: '200MB',
  // The same teardown still passes 500 ms under load (measured: 0-118 ms from jest's "end" to the
  // worker's 'exit' in every file, nothing alive then; 100-1300 ms from 'exit' to the process
  // gone, growing with the heap). Three seconds keeps the warning for what it is for, a worker kept
  // alive by something a test left open, which never exits.
  workerGracefulExitTimeout: 3000,
};
