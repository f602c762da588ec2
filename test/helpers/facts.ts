/** Building Facts for table tests: facts in, finding out. */
import type { Fact, FactKey, FactMap, Facts, NotCollectedReason } from '../../src/core/facts.js';
import { collected, notCollected } from '../../src/core/facts.js';

export type ItemsInput = { [K in FactKey]?: FactMap[K] | Fact<FactMap[K]> };

function isFact(v: unknown): v is Fact<unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    'state' in v &&
    ((v as { state: unknown }).state === 'collected' || (v as { state: unknown }).state === 'not-collected')
  );
}

/** Facts with the given items; plain values become collected facts. */
export function makeFacts(items: ItemsInput, over: Partial<Omit<Facts, 'items'>> = {}): Facts {
  const out: Record<string, Fact<unknown>> = {};
  for (const [k, v] of Object.entries(items)) out[k] = isFact(v) ? v : collected(v);
  return {
    factsVersion: 1,
    collectedAt: '2026-11-18T10:00:00.000Z',
    platform: 'linux',
    target: { kind: 'installed', dataDir: '/home/tester/.Upwork', found: true, reason: 'test' },
    host: { hostname: 'test-host', os: 'linux', arch: 'x64', node: 'v20' },
    ...over,
    items: out as Facts['items'],
  };
}

export function missing(reason: NotCollectedReason, message = 'not collected in test'): Fact<never> {
  return notCollected(reason, message);
}
