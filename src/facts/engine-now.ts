/**
 * The reference tracker's "now". A scenario simulates a moment (e.g. last Monday 08:00 UTC, four
 * hours before the weekly lock) and records its offset from real time beside the engine; the
 * tracker's files and logs are written in that simulated time, so ages read from them (the last
 * upload, the oldest waiting segment, a contract's start) must be measured from it too. Outside a
 * scenario, and on the installed app, it is real time.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** Where a scenario records its marker (engine/scenario.json in the data folder). */
export const scenarioMarkerFile = (dataDir: string) => path.join(dataDir, 'engine', 'scenario.json');

/** The scenario's offset from real time in ms; null outside a scenario (or when unreadable). */
export async function scenarioClockOffset(dataDir: string): Promise<number | null> {
  try {
    const s = JSON.parse(await readFile(scenarioMarkerFile(dataDir), 'utf8')) as { clockOffsetMs?: unknown };
    return typeof s.clockOffsetMs === 'number' && Number.isFinite(s.clockOffsetMs) ? s.clockOffsetMs : null;
  } catch {
    return null;
  }
}

/** The tracker's now: real time plus the scenario's offset, if any. */
export async function trackerNow(dataDir: string, realNow: number): Promise<number> {
  return realNow + ((await scenarioClockOffset(dataDir)) ?? 0);
}
