/** The collector registry: one collector per fact key, sorted by key. */
import type { Collector } from '../core/collector.js';
import { cacheCollector } from './cache.js';
import { clockCollector } from './clock.js';
import { connectionCollector } from './connection.js';
import { contractsCollector } from './contracts.js';
import { dataDirCollector } from './data-dir.js';
import { diskCollector } from './disk.js';
import { installsCollector } from './installs.js';
import { processesCollector } from './processes.js';
import { proxyCollector } from './proxy.js';
import { screenCollector } from './screen.js';
import { securityCollector } from './security.js';
import { systemCollector } from './system.js';
import { tlsCollector } from './tls.js';

export const collectors: readonly Collector[] = [
  cacheCollector,
  clockCollector,
  connectionCollector,
  contractsCollector,
  dataDirCollector,
  diskCollector,
  installsCollector,
  processesCollector,
  proxyCollector,
  screenCollector,
  securityCollector,
  systemCollector,
  tlsCollector,
] as Collector[];

export function collectorMap(list: readonly Collector[] = collectors): Map<string, Collector> {
  const m = new Map<string, Collector>();
  for (const c of list) {
    if (m.has(c.key)) throw new Error(`two collectors provide "${c.key}"`);
    m.set(c.key, c);
  }
  return m;
}
