/**
 * On the reference engine, `check`, `bundle`, `network` and `inspect` change nothing but the
 * engine's own runtime files (the engine counterpart of app-folders.test.ts). A run on an engine
 * folder starts the engine's work-diary server and its Helper, as the real app's would run, and
 * those leave traces; everything else in the folder must stay byte-identical: the offline cache
 * (journal, snapshots, MANIFEST, screenshots, LOCK), the tracker's status.json, settings,
 * contracts, device, the local CA and admin secret, the server's own storage, the scenario marker.
 *
 * The runtime files, as docs/RELIABILITY.md lists them:
 * - `Upwork/Logs/*.log`: the engine appends "work-diary server started/stopped for a doctor run"
 *   lines (append only: what was there stays, byte for byte; a new day's file may appear);
 * - `engine/server.json` and `engine/helper.json`: pidfiles of the server and the Helper, written
 *   while the run lasts and removed after it (never left behind);
 * - `engine/bin/Upwork Helper`: the link to Node under the Helper's name, made on first use.
 *
 * Measured on a fresh embedded folder (made by the first run in a fresh home) and on a scenario
 * folder that holds waiting time and a faulty server (stuck-caching), with the built CLI.
 */
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliResult } from '../helpers/cli.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { diffPrints, folderPrint } from '../helpers/fingerprint.js';

const LOGS = 'Upwork/Logs/';
const MAY_APPEAR = new Set(['engine/bin/', 'engine/bin/Upwork Helper']);
const TRANSIENT = ['engine/server.json', 'engine/helper.json'];

function logTexts(dataDir: string): Map<string, string> {
  const dir = path.join(dataDir, LOGS);
  return new Map(readdirSync(dir).map((n) => [`${LOGS}${n}`, readFileSync(path.join(dir, n), 'utf8')]));
}

/** Run one command and return what changed in the folder that is not a runtime file, plus the log lines it added. */
async function around(dataDir: string, run: () => Promise<CliResult>) {
  const before = folderPrint(dataDir);
  const logsBefore = logTexts(dataDir);
  const r = await run();
  expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/i);
  const after = folderPrint(dataDir);
  const d = diffPrints(before, after);
  const unexpected: string[] = [];
  let appended = '';
  for (const p of d.changed) {
    const old = logsBefore.get(p);
    const now = p.startsWith(LOGS) ? readFileSync(path.join(dataDir, p), 'utf8') : undefined;
    if (old !== undefined && now?.startsWith(old)) appended += now.slice(old.length);
    else unexpected.push(`changed ${p}`);
  }
  for (const p of d.added) {
    if (p.startsWith(LOGS) && p.endsWith('.log')) appended += readFileSync(path.join(dataDir, p), 'utf8');
    else if (!MAY_APPEAR.has(p)) unexpected.push(`added ${p}`);
  }
  unexpected.push(...d.removed.map((p) => `removed ${p}`));
  for (const t of TRANSIENT) if (after.has(t)) unexpected.push(`left behind ${t}`);
  return { r, unexpected, appended };
}

async function fourCommands(dataDir: string, target: string[], home: string) {
  const out = path.join(home, 'bundles');
  mkdirSync(out, { recursive: true });
  const check = await around(dataDir, () =>
    runCli(['check', ...target, '--json', '--deadline', '30'], { home }),
  );
  expect(check.unexpected, 'check').toEqual([]);
  // The run really did start the engine's server (and stopped it): the runtime files were used.
  expect(check.appended).toMatch(/work-diary server started for a doctor run/);
  expect(check.appended).toMatch(/work-diary server stopped after the doctor run/);

  const bundle = await around(dataDir, () =>
    runCli(['bundle', ...target, '--out', out, '--yes', '--json', '--deadline', '30'], { home }),
  );
  expect(bundle.r.code, bundle.r.stderr).toBe(0);
  expect(bundle.unexpected, 'bundle').toEqual([]);

  const net = await around(dataDir, () => runCli(['network', ...target, '--format', 'json'], { home }));
  expect(net.unexpected, 'network').toEqual([]);

  const zip = (JSON.parse(bundle.r.stdout) as { path: string }).path;
  const ins = await around(dataDir, () => runCli(['inspect', zip], { home }));
  expect(ins.r.code, ins.r.stderr).toBe(0);
  expect(ins.unexpected, 'inspect').toEqual([]);
  expect(ins.appended).toBe('');
}

describe('on the engine only its runtime files change outside fix', () => {
  it('a fresh embedded folder: check, bundle, network, inspect', async () => {
    const home = tempDir('uwd-engfp-');
    // The first run in a fresh home makes the embedded folder (that run is allowed to create it).
    const first = await runCli(['check', '--json', '--deadline', '30'], { home });
    expect(first.stderr).not.toMatch(/internal error/i);
    const dataDir = path.join(home, 'doctor', 'reference');
    expect(readdirSync(path.join(dataDir, 'Upwork', 'Cache'))).toContain('FORMAT');
    await fourCommands(dataDir, [], home);
  }, 240_000);

  it('a scenario folder with waiting time and a faulty server (stuck-caching): the same four commands', async () => {
    const home = tempDir('uwd-engfp-');
    const built = await runCli(['check', '--scenario', 'stuck-caching', '--json', '--deadline', '30'], {
      home,
    });
    expect(built.stderr).not.toMatch(/internal error/i);
    const [name] = readdirSync(path.join(home, 'doctor', 'scenarios'));
    const dataDir = path.join(home, 'doctor', 'scenarios', name!);
    expect(readFileSync(path.join(dataDir, 'engine', 'scenario.json'), 'utf8')).toMatch(/stuck-caching/);
    await fourCommands(dataDir, ['--data-dir', dataDir], home);
  }, 240_000);
});
