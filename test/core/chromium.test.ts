import { describe, expect, it } from 'vitest';
import { isChromiumCachePath } from '../../src/core/chromium.js';

describe('isChromiumCachePath', () => {
  it.each([
    ['Upwork/UserData/Cache', true],
    ['Upwork/UserData/Cache/Cache_Data/f_000001', true],
    ['Upwork\\UserData\\Default\\Cache\\data_0', true],
    ['Upwork/UserData/Code Cache/js/index', true],
    ['Upwork/UserData/GPUCache/data_1', true],
    ['Upwork/GPUCache', true],
    ['Upwork/Cache', false],
    ['Upwork/Cache/journal-000001.jrnl', false],
    ['Upwork/Logs/upwork..20261130.log', false],
    ['Upwork/UserData/Local Storage/leveldb/000003.log', false],
  ])('%s → %s', (rel, want) => {
    expect(isChromiumCachePath(rel)).toBe(want);
  });
});
