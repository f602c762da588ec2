/**
 * A scenario lives at a simulated moment (stuck-caching: last Wednesday afternoon). Its logs are
 * written in that time, so what the doctor reads from them must be measured from the same clock:
 * the log evidence carries the tracker's "now", the "no successful upload for N h" age is the
 * scenario's (6 h), not days of real time, and the lines a doctor run appends (server started /
 * stopped) carry the simulated time too, so the logs read as one story. Needs `npm run build`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/model.js';
import { runCli, tempDir } from '../helpers/cli.js';

const stamps = (text: string) => [...text.matchAll(/^\[(\d{4}-\d\d-\d\dT[\d:.]+)\]/gm)].map((m) => m[1]!);

describe('a scenario is read on its own clock', () => {
  it('stuck-caching: upload gap in scenario hours, appended log lines in scenario time', async () => {
    const home = tempDir('uwd-sclock-');
    const rec = path.join(home, 'facts.json');
    const r = await runCli(
      ['check', '--scenario', 'stuck-caching', '--only', 'tracker-logs', '--json', '--record', rec],
      { home, timeoutMs: 120_000 },
    );
    expect(r.stderr).not.toMatch(/internal error/i);
    const f = (JSON.parse(r.stdout) as Report).findings.find((x) => x.id === 'tracker-logs')!;
    expect(f.code).toBe('UWD-LOG-002');
    const hours = Number(/no successful upload since \S+ \((\d+) h\)/.exec(f.summary)?.[1]);
    expect(hours, f.summary).toBeLessThan(24);

    const facts = JSON.parse(readFileSync(rec, 'utf8')) as {
      items: { logEvidence: { value: { now: string; to: string } } };
    };
    const { now, to } = facts.items.logEvidence.value;
    const simulated = Date.parse(now);
    expect(Math.abs(simulated - Date.now())).toBeGreaterThan(24 * 3_600_000); // not real time

    // Every line in the scenario's logs, those this run appended included, sits before its now.
    const scenarios = path.join(home, 'doctor', 'scenarios');
    const [dir] = readdirSync(scenarios);
    const logs = path.join(scenarios, dir!, 'Upwork', 'Logs');
    const all = readdirSync(logs).flatMap((n) => stamps(readFileSync(path.join(logs, n), 'utf8')));
    const text = readdirSync(logs)
      .map((n) => readFileSync(path.join(logs, n), 'utf8'))
      .join('');
    expect(text).toMatch(/work-diary server started for a doctor run/);
    // Log times are local without an offset; the CLI ran with TZ=UTC.
    for (const s of all) expect(Date.parse(`${s}Z`)).toBeLessThanOrEqual(simulated + 60_000);
    expect(Date.parse(to)).toBeLessThanOrEqual(simulated + 60_000);
  }, 150_000);
});
