/** The pure rules core: no I/O, no real clock, no Math.random. */
export * from './activity.js';
export * from './clock.js';
export * from './contracts.js';
export * from './delete.js';
export * from './limits.js';
export * from './manual.js';
export * from './segments.js';
export * from './time.js';
export * from './tracking.js';
