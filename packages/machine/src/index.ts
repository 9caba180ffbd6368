export * from './values.js';
export * from './state.js';
export * from './cpu.js';
export * from './moves.js';
export * from './create.js';
export * from './v6.4/entry-fpsimd.js';
export * from './v6.4/hyp-fpsimd.js';
export * from './probe.js';
