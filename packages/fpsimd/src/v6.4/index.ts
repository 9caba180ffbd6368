export * from './types.js';
export * from './linux.js';
