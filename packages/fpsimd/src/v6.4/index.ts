export * from './types.js';
export * from './linux.js';
export * from './uapi-sve-context.js';
export * from './asm-processor.js';
export * from './asm-fpsimd.js';
export * from './fpsimd.js';
