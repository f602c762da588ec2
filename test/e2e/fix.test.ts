/**
 * `fix` and `undo` end to end: the built CLI, a real data folder the user cannot write to, a real
 * chmod, the real re-check and the real undo journal. The CLI runs as an unprivileged user (nobody
 * when the tests run as root, where permission checks would always pass), and once in a real
 * pseudo-terminal (util-linux `script`) to answer and to cancel the consent prompt with Ctrl-C.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { shellQuote } from '../../src/fixes/fix.js';
import { tempDir } from '../helpers/cli.js';
import { NOBODY, isRoot, useCliAsNobody } from '../helpers/as-nobody.js';

// The CLI runs from a copy nobody can read, wherever the checkout is (a 0700 mktemp -d clone too).
const cliAs = useCliAsNobody();
const haveScript = spawnSync('script', ['--version']).status === 0;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A home and a tracker data folder (mode 0500: readable, not writable) owned by the test user. */
function setup() {
  const home = tempDir('uwd-fixe2e-');
  const data = path.join(home, 'Upwork');
  mkdirSync(data);
  chmodSync(data, 0o500);
  if (isRoot) {
    chownSync(home, NOBODY, NOBODY);
    chownSync(data, NOBODY, NOBODY);
  }
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    UPWORK_DOCTOR_HOME: path.join(home, 'doctor'),
    NO_COLOR: '1',
    TZ: 'UTC',
    // UTF-8, so the results read "fail → pass" (with LANG=C they would be ASCII: "fail -> pass").
    LANG: 'C.UTF-8',
  };
  return {
    home,
    data,
    env,
    runs: () =>
      existsSync(path.join(home, 'doctor/state/runs'))
        ? readdirSync(path.join(home, 'doctor/state/runs'))
        : [],
  };
}

function spawnAs(
  file: string,
  args: string[],
  env: Record<string, string | undefined>,
  onOut?: (s: string, write: (d: string) => void) => void,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: cliAs.root,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...cliAs.user,
    });
    let stdout = '';
    let stderr = '';
    const write = (d: string) => void child.stdin.write(d);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      onOut?.(stdout, write);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (!onOut) child.stdin.end();
  });
}

const cli = (args: string[], env: Record<string, string | undefined>) =>
  spawnAs(process.execPath, [cliAs.bin, ...args], env);
const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

describe('fix (e2e, data folder you cannot write to)', () => {
  it('dry run, no consent, --yes, again, undo, undo again', async () => {
    const { data, env, runs } = setup();

    const dry = await cli(['fix', '--data-dir', data, '--only', 'data-dir', '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`$ chmod u+rwx ${data}`);
    expect(mode(data)).toBe('500');
    expect(runs()).toEqual([]);

    const noConsent = await cli(['fix', '--data-dir', data, '--only', 'data-dir'], env);
    expect(noConsent.code).toBe(1);
    expect(noConsent.stderr).toMatch(/Nothing was changed.*pass --yes/i);
    expect(mode(data)).toBe('500');

    const yes = await cli(['fix', '--data-dir', data, '--only', 'data-dir', '--yes'], env);
    expect(yes.stderr).not.toMatch(/internal error/);
    expect(yes.code).toBe(0);
    expect(yes.stdout).toMatch(/data-dir-permissions: fixed \(data-dir fail → pass\)/);
    expect(mode(data)).toBe('700');
    expect(runs()).toHaveLength(1);

    const check = await cli(['check', '--data-dir', data, '--only', 'data-dir'], env);
    expect(check.code).toBe(0);

    const again = await cli(['fix', '--data-dir', data, '--only', 'data-dir', '--yes'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nothing to fix');
    expect(runs()).toHaveLength(1);

    const list = await cli(['undo', '--list'], env);
    expect(list.stdout).toMatch(/data-dir-permissions +1 change to undo/);

    const undo = await cli(['undo'], env);
    expect(undo.code).toBe(0);
    expect(undo.stdout).toContain('restored data-dir-permissions#1');
    expect(mode(data)).toBe('500');

    const undo2 = await cli(['undo'], env);
    expect(undo2.code).toBe(0);
    expect(undo2.stdout).toContain('nothing left to undo');
    expect(mode(data)).toBe('500');
  });

  it('undo takes the target options: they pick the last run on that tracker and refuse another', async () => {
    const { home, data: a, env, runs } = setup();
    const b = path.join(home, 'Upwork-b');
    mkdirSync(b);
    chmodSync(b, 0o500);
    if (isRoot) chownSync(b, NOBODY, NOBODY);
    const fixA = await cli(['fix', '--data-dir', a, '--only', 'data-dir', '--yes'], env);
    expect(fixA.code, fixA.stderr).toBe(0);
    const [runA] = runs();
    const fixB = await cli(['fix', '--data-dir', b, '--only', 'data-dir', '--yes'], env);
    expect(fixB.code, fixB.stderr).toBe(0);
    const runB = runs().find((r) => r !== runA)!;
    expect([mode(a), mode(b)]).toEqual(['700', '700']);

    const listB = await cli(['undo', '--list', '--data-dir', b], env);
    expect(listB.stdout).toContain(runB);
    expect(listB.stdout).not.toContain(runA);

    // The last run overall is B's; --data-dir A undoes A's.
    const undoA = await cli(['undo', '--data-dir', a], env);
    expect(undoA.code, undoA.stderr).toBe(0);
    expect(undoA.stdout).toContain(`Undo of run ${runA}`);
    expect([mode(a), mode(b)]).toEqual(['500', '700']);

    const wrong = await cli(['undo', runB, '--data-dir', a], env);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toMatch(
      new RegExp(`Run ${runB} changed the tracker in .*Upwork-b, not the one --data-dir .* names`),
    );
    expect(mode(b)).toBe('700');

    // A scenario name only selects runs: it builds no scenario folder.
    const none = await cli(['undo', '--scenario', 'healthy'], env);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('No fix runs to undo on --scenario healthy');
    expect(existsSync(path.join(home, 'doctor', 'scenarios'))).toBe(false);

    const undoB = await cli(['undo', runB, '--data-dir', b], env);
    expect(undoB.code, undoB.stderr).toBe(0);
    expect([mode(a), mode(b)]).toEqual(['500', '500']);
  });

  it('usage errors are one line with exit 2', async () => {
    const { data, env } = setup();
    const r = await cli(['fix', '--data-dir', data, '--only', 'no-such-fix'], env);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/Unknown fix "no-such-fix"/);
    const u = await cli(['undo', 'no-such-run'], env);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/No fix run "no-such-run"/);
  });
});

describe.skipIf(!haveScript && !process.env.CI)('fix at a real terminal (pty via script)', () => {
  const inPty = (data: string, env: Record<string, string | undefined>, keys: string) => {
    const cmd = [process.execPath, cliAs.bin, 'fix', '--data-dir', data, '--only', 'data-dir']
      .map(shellQuote)
      .join(' ');
    let sent = false;
    return spawnAs('script', ['-qefc', cmd, '/dev/null'], env, (out, write) => {
      if (!sent && out.includes('(y/N)')) {
        sent = true;
        write(keys);
      }
    });
  };

  it('Ctrl-C at the prompt exits 130 and changes nothing', async () => {
    const { data, env, runs } = setup();
    const r = await inPty(data, env, '\x03');
    expect(r.code).toBe(130);
    expect(r.stdout).toContain('Cancelled');
    expect(mode(data)).toBe('500');
    expect(runs()).toEqual([]);
  });

  it('answering y applies the change', async () => {
    const { data, env } = setup();
    const r = await inPty(data, env, 'y');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('data-dir-permissions: fixed');
    expect(mode(data)).toBe('700');
  });
});
