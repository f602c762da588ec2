/**
 * Issue 11 item 3 end to end: the built CLI on a home laid out as the real app leaves it
 * (fixtures/installed/darwin: its logs show uploads succeeding long ago, so they do not settle the
 * cache's state now). Without a terminal, or with --no-input at a real one, nothing is asked and the
 * run ends normally. In a real pseudo-terminal (util-linux `script`, from bsdutils in
 * .ci/apt-packages.txt) the test answers with keystrokes, and the answer is the "you said" finding,
 * in the --record file, replayed by --facts without asking, and in a bundle's facts.json.
 */
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { shellQuote } from '../../src/fixes/fix.js';
import type { Report } from '../../src/report/model.js';
import { BIN, ROOT, runCli, tempDir } from '../helpers/cli.js';

const haveScript = spawnSync('script', ['--version']).status === 0;
const QUESTION = /status line say/;
const DOWN = '\x1b[B';

function home(): { home: string; data: string } {
  const h = tempDir('uwd-ask-');
  cpSync(path.join(ROOT, 'fixtures', 'installed', 'darwin', 'home'), h, { recursive: true });
  return { home: h, data: path.join(h, 'Library', 'Application Support', 'Upwork') };
}

const envFor = (h: string) => ({
  PATH: process.env.PATH,
  HOME: h,
  UPWORK_DOCTOR_HOME: path.join(h, 'doctor'),
  NO_COLOR: '1',
  TZ: 'UTC',
  LANG: 'C.UTF-8',
  TERM: 'xterm',
  UPWORK_DOCTOR_UPWORK_URLS: 'https://www.upwork.invalid/',
  UPWORK_DOCTOR_CONTROL_HOST: 'control.invalid',
});

interface Step {
  when: RegExp;
  keys: string;
}

/**
 * The CLI in a pseudo-terminal of a known size; each step's keys are typed once its prompt shows,
 * in order. Killed after 45 s, so a prompt that never comes cannot hang the suite.
 */
function inPty(args: string[], h: string, steps: Step[]): Promise<{ code: number | null; out: string }> {
  const cmd = `stty rows 30 cols 120; exec ${[process.execPath, BIN, ...args].map(shellQuote).join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { env: envFor(h), stdio: 'pipe' });
    let out = '';
    let seen = 0;
    const todo = [...steps];
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const next = todo[0];
      if (next && (out.slice(seen).match(next.when) ?? null)) {
        todo.shift();
        seen = out.length;
        // enquirer listens once it has drawn the prompt; a short pause keeps keys from racing it.
        setTimeout(() => child.stdin.write(next.keys), 150);
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const cacheFinding = (json: string) =>
  (JSON.parse(json) as Report).findings.find((f) => f.id === 'cache-fullness')!;

describe('nobody is asked where nobody can answer', () => {
  it('without a terminal: no question, the cache check skips, the run ends normally', async () => {
    const { home: h, data } = home();
    const r = await runCli(['--target', 'installed', '--data-dir', data, '--only', 'cache-fullness'], {
      home: h,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(QUESTION);
    expect(r.stdout).toMatch(/Offline time cache: Not checked/);
  });

  it.skipIf(!haveScript && !process.env.CI)('at a terminal with --no-input: no question', async () => {
    const { home: h, data } = home();
    const r = await inPty(
      ['--target', 'installed', '--data-dir', data, '--only', 'cache-fullness', '--no-input'],
      h,
      [],
    );
    expect(r.code, r.out).toBe(0);
    expect(r.out).not.toMatch(QUESTION);
    expect(r.out).toMatch(/Offline time cache: Not checked/);
  });
});

describe.skipIf(!haveScript && !process.env.CI)('asked at a real terminal (pty via script)', () => {
  const offlineOver24h: Step[] = [
    { when: QUESTION, keys: `${DOWN}${DOWN}\r` },
    { when: /Since when/, keys: `${DOWN}${DOWN}${DOWN}\r` },
  ];

  it('the answer is the "you said" finding, recorded, and replayed by --facts without asking', async () => {
    const { home: h, data } = home();
    const rec = path.join(h, 'facts.json');
    const args = ['--target', 'installed', '--data-dir', data, '--only', 'cache-fullness', '--record', rec];
    const r = await inPty(args, h, offlineOver24h);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/You said the app has shown "Offline \(caching\)" for more than 24 hours/);
    expect(r.out).toMatch(
      /You said: the status line reads "Offline \(caching\)", for more than 24 hours \(asked /,
    );
    const recorded = JSON.parse(readFileSync(rec, 'utf8')) as { items: Record<string, unknown> };
    expect(recorded.items.statusReport).toMatchObject({
      state: 'collected',
      scope: 'tracker',
      value: { status: 'caching', since: 'over-24h' },
    });
    const replay = await runCli(['--facts', rec, '--only', 'cache-fullness', '--json'], { home: h });
    expect(replay.code).toBe(1);
    expect(cacheFinding(replay.stdout)).toMatchObject({ status: 'fail', code: 'UWD-CACHE-012' });
  });

  it("the bundle's facts.json carries the answer", async () => {
    const { home: h, data } = home();
    const out = tempDir('uwd-ask-out-');
    const steps = [...offlineOver24h, { when: /Save it as/, keys: 'y' }];
    const r = await inPty(['bundle', '--target', 'installed', '--data-dir', data, '--out', out], h, steps);
    expect(r.code, r.out).toBe(0);
    const zip = /(\/[^\s\x1b]+\.zip)\s+\d+ bytes/.exec(r.out)?.[1];
    expect(zip, r.out).toBeDefined();
    const facts = JSON.parse(execFileSync('unzip', ['-p', zip!, 'facts.json'], { encoding: 'utf8' })) as {
      items: { statusReport?: { value: { status: string; answers: { answer: string }[] } } };
    };
    expect(facts.items.statusReport?.value.status).toBe('caching');
    expect(facts.items.statusReport?.value.answers.map((a) => a.answer)).toEqual([
      'Offline (caching)',
      'more than 24 hours',
    ]);
    const report = execFileSync('unzip', ['-p', zip!, 'report.json'], { encoding: 'utf8' });
    expect(cacheFinding(report)).toMatchObject({ code: 'UWD-CACHE-012' });
  });
});
