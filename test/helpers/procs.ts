/** Waiting on real processes in tests: bounded polls, and the pid a pidfile or LOCK names. */
import { readFileSync } from 'node:fs';

/** Poll `cond` every 50 ms for at most `ms`; the last answer is returned (never waits unbounded). */
export async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

/** The `pid` of a JSON pidfile (engine/helper.json, engine/server.json, Cache/LOCK), if readable. */
export function pidIn(file: string): number | undefined {
  try {
    const pid = (JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid;
    return typeof pid === 'number' ? pid : undefined;
  } catch {
    return undefined;
  }
}
