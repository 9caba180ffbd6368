export * from './v6.4/index.js';
