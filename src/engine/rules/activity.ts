/**
 * Activity arithmetic: the tracker counts keystrokes, clicks and scrolls per minute, and the
 * activity level is how many of a segment's 10 minutes had any input. Counts only, never content.
 */
import type { MinuteCounts } from '../protocol.js';

export type { MinuteCounts };

export const EMPTY_MINUTE: MinuteCounts = [0, 0, 0];

export function emptyMinutes(): MinuteCounts[] {
  return Array.from({ length: 10 }, () => [0, 0, 0] as MinuteCounts);
}

export function isActiveMinute(m: MinuteCounts): boolean {
  return m[0] + m[1] + m[2] > 0;
}

/** Activity level 0..10: minutes of the segment that included any input. */
export function activeMinutes(minutes: readonly MinuteCounts[]): number {
  return minutes.reduce((n, m) => n + (isActiveMinute(m) ? 1 : 0), 0);
}

export function activityTotals(minutes: readonly MinuteCounts[]): {
  keys: number;
  clicks: number;
  scrolls: number;
} {
  const t = { keys: 0, clicks: 0, scrolls: 0 };
  for (const m of minutes) {
    t.keys += m[0];
    t.clicks += m[1];
    t.scrolls += m[2];
  }
  return t;
}

export function isValidMinute(m: unknown): m is MinuteCounts {
  return (
    Array.isArray(m) &&
    m.length === 3 &&
    m.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)
  );
}

/** Add input to one minute bucket; returns a new array so sealed data is never mutated. */
export function addInput(
  minutes: readonly MinuteCounts[],
  minute: number,
  input: { keys: number; clicks: number; scrolls: number },
): MinuteCounts[] {
  return minutes.map((m, i) =>
    i === minute ? ([m[0] + input.keys, m[1] + input.clicks, m[2] + input.scrolls] as MinuteCounts) : m,
  );
}
