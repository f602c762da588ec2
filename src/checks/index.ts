/**
 * The check registry, sorted by id. test/checks/registry.test.ts asserts that every file in this
 * folder is registered here, with a docs page and a test.
 */
import type { Check } from '../core/check.js';
import { dataDir } from './data-dir.js';
import { diskSpace } from './disk-space.js';

export const checks: readonly Check[] = [dataDir, diskSpace];

export function checkById(id: string): Check | undefined {
  return checks.find((c) => c.id === id);
}
