/**
 * The built CLI, end to end: `scenarios`, `check --scenario`, the embedded default on a fresh
 * machine (server and Helper started for the run and stopped after it), and a person's
 * `engine track / status / serve / upload` session: the cache fills offline and drains when back.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli, tempDir } from '../helpers/cli.js';
import { trackerLogText } from '../helpers/logs.js';

interface Finding {
  id: string;
  status: string;
  code: string;
  summary: string;
}

/** Every file under a folder with its sha256, to prove a command did not touch it. */
function fingerprint(dir: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = path.join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(`${path.relative(dir, p)} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(dir);
  return out.join('\n');
}

function findings(stdout: string): Finding[] {
  return (JSON.parse(stdout) as { findings: Finding[] }).findings;
}

describe('engine CLI', () => {
  it('lists the scenarios, as text and JSON', async () => {
    const text = await runCli(['scenarios']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^cache-full\s+.*full/m);
    expect(
      text.stdout
        .trim()
        .split('\n')
        .filter((l) => /^[a-z0-9-]+\s{2,}/.test(l)),
    ).toHaveLength(12);
    const json = await runCli(['scenarios', '--json']);
    const list = JSON.parse(json.stdout) as { name: string }[];
    expect(list.map((s) => s.name)).toContain('stuck-caching');
    expect(json.stdout).not.toContain('\u001b[');
  });

  it('check --scenario cache-full fails with the full-cache finding', async () => {
    const r = await runCli(['check', '--scenario', 'cache-full', '--only', 'cache-fullness', '--json']);
    expect(r.code).toBe(1);
    const [f] = findings(r.stdout);
    expect(f).toMatchObject({ id: 'cache-fullness', status: 'fail', code: 'UWD-CACHE-003' });
    expect(f!.summary).toMatch(/any contract/);
    expect(r.stderr).toMatch(/Building scenario "cache-full"/);
  });

  it('check --scenario stuck-caching: the server started for the run answers, so the tracker is stuck', async () => {
    const home = tempDir('uwd-home-');
    const r = await runCli(['check', '--scenario', 'stuck-caching', '--only', 'cache-fullness', '--json'], {
      home,
    });
    expect(r.code).toBe(1);
    expect(findings(r.stdout)[0]).toMatchObject({ status: 'fail', code: 'UWD-CACHE-007' });
    // Stopped after the run: no server.json, no Helper pidfile left behind.
    const report = JSON.parse(r.stdout) as { target: { dataDir: string } };
    expect(existsSync(path.join(report.target.dataDir, 'engine', 'server.json'))).toBe(false);
    expect(existsSync(path.join(report.target.dataDir, 'engine', 'helper.json'))).toBe(false);

    // Checking the same folder again reads the cache without changing a byte of it.
    const cache = path.join(report.target.dataDir, 'Upwork', 'Cache');
    const before = fingerprint(cache);
    const again = await runCli(
      [
        'check',
        '--target',
        'embedded',
        '--data-dir',
        report.target.dataDir,
        '--only',
        'cache-fullness',
        '--json',
      ],
      { home },
    );
    expect(findings(again.stdout)[0]).toMatchObject({ code: 'UWD-CACHE-007' });
    expect(fingerprint(cache)).toBe(before);
  });

  it('check --scenario helper-cpu: the real Helper spins without --enable-gpu and the doctor sees it', async () => {
    const r = await runCli(['check', '--scenario', 'helper-cpu', '--only', 'helper-cpu', '--json']);
    const [f] = findings(r.stdout);
    expect(f!.id).toBe('helper-cpu');
    // fail above 60 % of a core; a loaded CI box may only give the busy loop part of one.
    expect(['UWD-CPU-003', 'UWD-CPU-002']).toContain(f!.code);
    expect(f!.summary).toMatch(/Upwork Helper/);
  });

  it('an unknown scenario is a one-line usage error', async () => {
    const r = await runCli(['check', '--scenario', 'no-such-problem']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/Unknown scenario "no-such-problem".*cache-full/);
  });

  it('the first run on a fresh machine sets up a healthy embedded tracker', async () => {
    const home = tempDir('uwd-home-');
    const r = await runCli(['--target', 'embedded', '--only', 'cache-fullness,data-dir', '--json'], { home });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Set up the embedded reference tracker/);
    expect(findings(r.stdout).map((f) => f.status)).toEqual(['pass', 'pass']);
    const data = path.join(home, 'doctor', 'reference');
    const log = trackerLogText(data);
    expect(log).toMatch(/upload - done: HTTP 200, \d+ accepted/);
    expect(log).toMatch(/work-diary server started for a doctor run/);
    expect(log).toMatch(/work-diary server stopped after the doctor run/);
    expect(existsSync(path.join(data, 'engine', 'server.json'))).toBe(false);
    const status = await runCli(['engine', 'status', '--json'], { home });
    const s = JSON.parse(status.stdout) as { status: { label: string }; cache: { pendingSegments: number } };
    expect(s.status.label).toBe('Online');
    expect(s.cache.pendingSegments).toBe(0);
    // Only the first run sets it up.
    const again = await runCli(['--target', 'embedded', '--only', 'data-dir'], { home });
    expect(again.stderr).not.toMatch(/Set up the embedded/);
  });

  it('a person tracks offline, the cache fills, then serve + upload drain it', async () => {
    const home = tempDir('uwd-home-');
    const tracked = await runCli(
      [
        'engine',
        'track',
        '--contract',
        'c-1001',
        '--memo',
        'Offline work',
        '--minutes',
        '60',
        '--speed',
        '0',
      ],
      { home },
    );
    expect(tracked.code, tracked.stderr).toBe(0);
    expect(tracked.stdout).toMatch(/^Offline \(caching\): cache [\d.]+ h of 24 h/);
    const offline = JSON.parse((await runCli(['engine', 'status', '--json'], { home })).stdout) as {
      status: { state: string };
      cache: { pendingSegments: number; pendingMinutes: number };
      server: unknown;
    };
    expect(offline.status.state).toBe('OFFLINE_CACHING');
    expect(offline.cache.pendingSegments).toBeGreaterThan(0);
    expect(offline.server).toBeNull();

    const noServer = await runCli(['engine', 'upload'], { home });
    expect(noServer.code).toBe(1);
    expect(noServer.stderr).toMatch(/engine serve/);

    const env = {
      PATH: process.env.PATH,
      HOME: home,
      UPWORK_DOCTOR_HOME: path.join(home, 'doctor'),
      NO_COLOR: '1',
      TZ: 'UTC',
    };
    const serve = spawn(process.execPath, [BIN, 'engine', 'serve'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        let err = '';
        const t = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 20_000);
        serve.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          if (err.includes('Press Ctrl-C')) {
            clearTimeout(t);
            resolve();
          }
        });
        serve.once('exit', () => reject(new Error(`serve exited: ${err}`)));
      });
      const up = await runCli(['engine', 'upload', '--json'], { home });
      expect(up.code, up.stderr).toBe(0);
      const result = JSON.parse(up.stdout) as {
        outcome: string;
        accepted: number;
        pendingSegments: number;
        status: string;
      };
      expect(result).toMatchObject({ outcome: 'drained', pendingSegments: 0, status: 'Online' });
      expect(result.accepted).toBe(offline.cache.pendingSegments);
      // Uploading again bills nothing twice: nothing is pending.
      const again = JSON.parse((await runCli(['engine', 'upload', '--json'], { home })).stdout) as {
        accepted: number;
      };
      expect(again.accepted).toBe(0);
    } finally {
      const exited = new Promise<number | null>((r) => serve.once('exit', (c) => r(c)));
      serve.kill('SIGINT');
      expect(await exited).toBe(0);
    }
    expect(existsSync(path.join(home, 'doctor', 'reference', 'engine', 'server.json'))).toBe(false);
  });
});
