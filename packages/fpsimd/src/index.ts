export * from './v6.4/index.js';
export * from './entry-table.js';
export * from './user-memory.js';
// The small test world (a test helper, not a kernel file), for the tests of the packages above.
export * as fpsimdTesting from './testing.js';
