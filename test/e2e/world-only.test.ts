/**
 * A run that reads no tracker fact does not touch the embedded engine. World checks (clock-skew,
 * upwork-connection, disk-space …) measure this machine against the real service, whatever the
 * target, so `--only clock-skew` starts neither the engine's work-diary server nor its Helper, and
 * on a fresh home does not create the embedded engine's folder. The engine folder is watched with
 * inotify (fs.watch) during the run: the server and the Helper write their pidfiles
 * (engine/server.json, engine/helper.json) there when they start, which a control run that reads
 * tracker facts shows. Needs `npm run build`.
 */
import { existsSync, readFileSync, readdirSync, watch } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

/** Run the CLI while watching the engine's folder; the names of the files created or removed there. */
async function watched(engineDir: string, args: string[], home: string) {
  const seen = new Set<string>();
  const w = watch(engineDir, (_e, name) => name && seen.add(name.toString()));
  try {
    const r = await runCli(args, { home });
    await new Promise((res) => setTimeout(res, 200));
    return { r, seen: [...seen] };
  } finally {
    w.close();
  }
}

const logText = (dataDir: string) =>
  readdirSync(path.join(dataDir, 'Upwork', 'Logs'))
    .map((n) => readFileSync(path.join(dataDir, 'Upwork', 'Logs', n), 'utf8'))
    .join('');

describe('world-only runs leave the engine alone', () => {
  it('--only clock-skew on a fresh home creates no engine folder', async () => {
    const home = tempDir('uwd-world-only-');
    const r = await runCli(['--only', 'clock-skew', '--json'], { home });
    expect(r.stderr).not.toMatch(/internal error/i);
    expect(r.stderr).not.toMatch(/Set up the embedded reference tracker/);
    const report = JSON.parse(r.stdout) as {
      target: { kind: string; found: boolean };
      findings: { id: string }[];
    };
    expect(report.findings.map((f) => f.id)).toEqual(['clock-skew']);
    expect(report.target).toMatchObject({ kind: 'embedded', found: false });
    expect(existsSync(path.join(home, 'doctor', 'reference'))).toBe(false);
  }, 60_000);

  it('on an existing engine folder, world checks start no server and no Helper; tracker checks do', async () => {
    const home = tempDir('uwd-world-only-');
    const first = await runCli(['--only', 'contracts', '--json'], { home });
    expect(first.stderr).not.toMatch(/internal error/i);
    const dataDir = path.join(home, 'doctor', 'reference');
    const engineDir = path.join(dataDir, 'engine');
    expect(existsSync(engineDir)).toBe(true);

    for (const only of ['clock-skew', 'upwork-connection', 'disk-space']) {
      const logBefore = logText(dataDir);
      const { r, seen } = await watched(engineDir, ['--only', only, '--json'], home);
      expect(r.stderr).not.toMatch(/internal error/i);
      expect(seen, `--only ${only}`).toEqual([]);
      expect(logText(dataDir), `--only ${only}`).toBe(logBefore);
    }

    // Control: a tracker check (helper-cpu reads the Helper's process) starts both, so the watch sees them.
    const { r, seen } = await watched(
      engineDir,
      ['--only', 'helper-cpu', '--json', '--cpu-window', '1'],
      home,
    );
    expect(r.stderr).not.toMatch(/internal error/i);
    expect(seen).toEqual(expect.arrayContaining(['server.json', 'helper.json']));
  }, 120_000);
});
