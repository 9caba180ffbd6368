export * from './v6.4/index.js';
export * from './entry-table.js';
export * from './user-memory.js';
