/** The collector registry: one collector per fact key, sorted by key. */
import type { Collector } from '../core/collector.js';
import { dataDirCollector } from './data-dir.js';
import { diskCollector } from './disk.js';

export const collectors: readonly Collector[] = [dataDirCollector, diskCollector] as Collector[];

export function collectorMap(list: readonly Collector[] = collectors): Map<string, Collector> {
  const m = new Map<string, Collector>();
  for (const c of list) {
    if (m.has(c.key)) throw new Error(`two collectors provide "${c.key}"`);
    m.set(c.key, c);
  }
  return m;
}
