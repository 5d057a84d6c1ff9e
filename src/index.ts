export * from './core/index.js';
export * from './signaling/index.js';
