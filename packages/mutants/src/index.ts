// @kvmfp/mutants: hand-written mutants of the entry tables, each a plausible wrong version of one
// entry (not a kernel file, so not in a port package). The fixtures tell each from the real
// kernel (fixtures/mutants.md has the registry table, generated from here).
export * from './mutants.js';
