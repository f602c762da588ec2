/**
 * A sealed-ready segment with its screenshot for store tests: slot `slot0 + i`, ten minutes of the
 * given activity, a synthetic PNG seeded by `i` and its sha256. One builder for every store and
 * reliability test; each test keeps its own minutes, memo and screenshot moment.
 */
import { createHash } from 'node:crypto';
import { buildSegment, syntheticPng, type Segment } from '../../src/engine/index.js';

export interface TestSegmentOptions {
  contractId?: string;
  /** Activity per minute, [keys, mouse, flags], from the minute's index. */
  minute?: (m: number) => [number, number, number];
  /** Milliseconds after the slot start when the screenshot was taken. */
  shotAfterMs?: number;
  memo?: string;
}

export async function testSegment(
  slot0: number,
  i: number,
  o: TestSegmentOptions = {},
): Promise<{ segment: Segment; png: Buffer }> {
  const png = await syntheticPng({ seed: i });
  const from = (slot0 + i) * 600_000;
  const minute = o.minute ?? (() => [1, 1, 0] as [number, number, number]);
  const segment = buildSegment({
    contractId: o.contractId ?? 'c-1',
    slot: slot0 + i,
    kind: 'auto',
    trackedFrom: from,
    trackedTo: from + 600_000,
    minutes: Array.from({ length: 10 }, (_, m) => minute(m)),
    screenshot: {
      takenAt: from + (o.shotAfterMs ?? 1234),
      sha256: createHash('sha256').update(png).digest('hex'),
    },
    memo: o.memo ?? 'memo',
    activity: null,
    deviceId: 'dev',
    seq: i,
  });
  return { segment, png };
}
