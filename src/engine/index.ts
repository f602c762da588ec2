/**
 * The reference tracker engine's public API: what the service, the CLI, the scenarios and the
 * tests use. The doctor's collectors never import this (they read the engine's files).
 */
export * from './clock.js';
export * from './config.js';
export * from './rules/index.js';
export type {
  AckReceipt,
  Rejection,
  SegmentRef,
  SegmentState,
  Settlement,
  Store,
  StoreStats,
  StoredSegment,
} from './store/types.js';
export { StoreError } from './store/types.js';
export { DURABLE_STEPS, writeFileAtomic, type DurableStep, type StepHook } from './store/fsutil.js';
export {
  FORMAT_LINE,
  JournalStore,
  blobPath,
  cacheLayout,
  inspectCache,
  openStore,
  type CacheLayout,
  type InspectResult,
  type OpenStoreOptions,
  type RecoveryReport,
} from './store/store.js';
export { stateDigest, type CacheState, type JournalRecord } from './store/state.js';
export { crc32, crcHex, decodeFrameAt, encodeFrame, scanFrames } from './store/frame.js';
export * from './png.js';
export * from './tracker.js';
