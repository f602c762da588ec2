/**
 * Outside `fix`, nothing the doctor does writes into the installed app's folders: its whole data
 * folder (logs, cache, settings, everything under it) is fingerprinted (every file's size, mtime
 * and sha256, and the list of files) around `check`, `bundle`, `network` and `inspect`, run as a
 * user runs them (the built CLI).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { fingerprint, makeTracker } from './bundle-helpers.js';

describe('the installed app\u2019s folders are read-only outside fix', () => {
  it('check, bundle, network and inspect leave the data folder byte-identical', async () => {
    const root = tempDir();
    const { dataDir } = makeTracker(root);
    // Settings and a log named the way the real app names them, so every kind of file is watched.
    mkdirSync(path.join(dataDir, 'Upwork', 'UserData'), { recursive: true });
    writeFileSync(path.join(dataDir, 'Upwork', 'UserData', 'settings.json'), '{"proxy":"system"}\n');
    writeFileSync(
      path.join(dataDir, 'Upwork', 'Logs', 'upwork..20261116.log'),
      '[2026-11-16T09:00:00.000] [INFO] main.shell.os_services - Electron Screensnap succeeded.\n',
    );
    const out = path.join(root, 'out');
    mkdirSync(out);
    const home = tempDir('uwd-home-');
    const before = fingerprint(dataDir);
    const target = ['--target', 'installed', '--data-dir', dataDir];

    const check = await runCli(['check', ...target, '--json', '--deadline', '20'], { home });
    expect(check.stderr).not.toMatch(/internal error/i);
    expect(fingerprint(dataDir), 'after check').toBe(before);

    const bundle = await runCli(['bundle', ...target, '--out', out, '--yes', '--json', '--deadline', '20'], {
      home,
    });
    expect(bundle.code, bundle.stderr).toBe(0);
    expect(fingerprint(dataDir), 'after bundle').toBe(before);

    // An endpoint on loopback that refuses at once: the probe runs every stage it can, quickly.
    const net = await runCli(['network', '--endpoint', 'https://127.0.0.1:1/', '--format', 'json'], { home });
    expect(net.stderr).not.toMatch(/internal error/i);
    expect(fingerprint(dataDir), 'after network').toBe(before);

    const ins = await runCli(['inspect', (JSON.parse(bundle.stdout) as { path: string }).path], { home });
    expect(ins.code, ins.stderr).toBe(0);
    expect(fingerprint(dataDir), 'after inspect').toBe(before);
  }, 120_000);
});
