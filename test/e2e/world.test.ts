/**
 * Issue 10 through the built CLI: world facts are measured against Upwork's real hosts whatever the
 * target, scenarios simulate on purpose and say so, offline is one clear finding with its stage,
 * the headline says whose tracker was read, and printed commands carry the run's target.
 *
 * Network independence: runCli points Upwork's hosts at `.invalid` names and the control name too
 * (test seams UPWORK_DOCTOR_UPWORK_URLS / UPWORK_DOCTOR_CONTROL_HOST), so "offline" holds on any
 * machine. The tests of the default code path unset the seams and assert only what holds both
 * online and offline: which hosts were measured, and that the exit code follows the verdicts.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir, UTF8 } from '../helpers/cli.js';

interface Finding {
  id: string;
  status: string;
  code: string;
  summary: string;
  evidence: Record<string, unknown>;
  remediation?: { commands: string[]; fixIds: string[] };
  simulated?: { scenario: string };
  referenceTracker?: boolean;
}
interface Report {
  target: {
    kind: string;
    reference?: boolean;
    headline?: string;
    installDirs?: string[];
    args?: string[];
    lookedIn?: string[];
  };
  findings: Finding[];
  exitCode: number;
}

const REAL = { UPWORK_DOCTOR_UPWORK_URLS: undefined, UPWORK_DOCTOR_CONTROL_HOST: undefined };
const WORLD = ['clock-skew', 'tls-settings', 'upwork-connection'];
const parse = (stdout: string) => JSON.parse(stdout) as Report;
const find = (r: Report, id: string) => {
  const f = r.findings.find((x) => x.id === id);
  expect(f, id).toBeDefined();
  return f!;
};

describe('the embedded default, on a machine that cannot reach Upwork', () => {
  it('world checks never pass against the loopback server; offline is one finding with its stage; headline and marks', async () => {
    const home = tempDir('uwd-world-');
    const r = await runCli(['--json', '--cpu-window', '1', '--deadline', '40'], { home, timeoutMs: 90_000 });
    const report = parse(r.stdout);
    expect(report.target).toMatchObject({ kind: 'embedded', reference: true });
    expect(report.target.headline).toMatch(
      /^No Upwork app was found on this computer \(looked in .*~\/\.Upwork\)/,
    );
    expect(report.target.headline).toMatch(/built-in reference tracker, not yours/);
    expect(report.target.headline).toMatch(/--app-dir .*--data-dir/);

    for (const id of WORLD) expect(find(report, id).status, id).not.toBe('pass');
    expect(find(report, 'clock-skew')).toMatchObject({ status: 'skip', code: 'UWD-CLOCK-005' });
    expect(find(report, 'clock-skew').summary).toMatch(
      /www\.upwork\.invalid.* cannot be reached \(dns stage\)/,
    );
    expect(find(report, 'tls-settings')).toMatchObject({ status: 'skip', code: 'UWD-TLS-007' });
    expect(find(report, 'tls-settings').summary).toMatch(/\(dns stage\)/);
    const conn = find(report, 'upwork-connection');
    expect(conn).toMatchObject({ status: 'warn', code: 'UWD-CONN-002' });
    expect(conn.summary).toMatch(/This computer is offline \(dns stage: no name resolves/);
    expect(conn.summary).toMatch(/24 h/);
    for (const id of WORLD) expect(JSON.stringify(find(report, id).evidence)).not.toMatch(/127\.0\.0\.1/);

    // Tracker findings are the reference tracker's; world findings are not marked.
    expect(find(report, 'contracts').referenceTracker).toBe(true);
    expect(find(report, 'cache-fullness').referenceTracker).toBe(true);
    expect(conn.referenceTracker).toBeUndefined();
    expect(report.findings.some((f) => f.simulated)).toBe(false);
    // The exit code follows the findings: a warning is not a failure.
    expect(r.code).toBe(report.findings.some((f) => f.status === 'fail') ? 1 : 0);

    const text = await runCli(['--only', 'contracts,upwork-connection'], {
      home,
      timeoutMs: 60_000,
      env: UTF8,
    });
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(/built-in reference tracker \(not an Upwork app\)/);
    expect(lines[2]).toMatch(/^No Upwork app was found/);
    expect(text.stdout).toMatch(/^✓ Contracts \[reference tracker\]: /m);
    expect(text.stdout).toMatch(/^! Connection to Upwork: This computer is offline/m);
  }, 150_000);

  it('DNS failing for Upwork only, and a firewall, are told apart from offline (exit 1)', async () => {
    const dnsOnly = await runCli(['--only', 'upwork-connection', '--json'], {
      env: { UPWORK_DOCTOR_CONTROL_HOST: 'localhost' },
    });
    expect(dnsOnly.code).toBe(1);
    expect(find(parse(dnsOnly.stdout), 'upwork-connection')).toMatchObject({
      status: 'fail',
      code: 'UWD-CONN-003',
    });
    const firewall = await runCli(['--only', 'upwork-connection,tls-settings', '--json'], {
      env: { UPWORK_DOCTOR_UPWORK_URLS: 'https://127.0.0.1:1/' },
    });
    expect(firewall.code).toBe(1);
    const rep = parse(firewall.stdout);
    expect(find(rep, 'upwork-connection')).toMatchObject({ status: 'fail', code: 'UWD-CONN-005' });
    expect(find(rep, 'upwork-connection').summary).toMatch(/\(tcp stage\): .*firewall/);
    expect(find(rep, 'tls-settings').summary).toMatch(/\(tcp stage\)/);
  }, 90_000);

  it("without the seams, the world checks measure Upwork's real hosts whatever the target", async () => {
    const r = await runCli(
      ['--only', WORLD.join(','), '--target', 'embedded', '--json', '--deadline', '40'],
      {
        env: REAL,
        timeoutMs: 60_000,
      },
    );
    const report = parse(r.stdout);
    expect(find(report, 'clock-skew').evidence.serviceUrl).toBe('https://www.upwork.com/');
    expect(find(report, 'tls-settings').evidence.url).toBe('https://www.upwork.com/');
    const hosts = (find(report, 'upwork-connection').evidence.endpoints as { host: string }[]).map(
      (e) => e.host,
    );
    expect(hosts).toEqual(['www.upwork.com', 'upwork-usw2-desktopapp.upwork.com']);
  }, 90_000);
});

describe('network', () => {
  it("with no options probes Upwork's hosts, not 127.0.0.1; the exit code follows the verdicts", async () => {
    const r = await runCli(['network', '--json', '--deadline', '40'], { env: REAL, timeoutMs: 60_000 });
    const rep = JSON.parse(r.stdout) as { endpoints: { host: string; verdict: string }[] };
    expect(rep.endpoints.map((e) => e.host)).toEqual(['www.upwork.com', 'upwork-usw2-desktopapp.upwork.com']);
    expect(r.code === 0).toBe(rep.endpoints.every((e) => e.verdict === 'pass'));
  }, 90_000);

  it('unreachable: exit 1, the stage and the cause for each host', async () => {
    const r = await runCli(['network']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^www\.upwork\.invalid https:\/\/www\.upwork\.invalid\/: fails at dns/m);
    expect(r.stdout).toMatch(/^upwork-usw2-desktopapp\.upwork\.invalid .*: fails at dns/m);
    expect(r.stdout).toMatch(/note: Upwork cannot be reached: this computer is offline \(dns stage\)/);
    expect(r.stdout).toMatch(/0 of 2 endpoints reachable/);
  });

  it('--target embedded adds the reference server, labelled simulated', async () => {
    const r = await runCli(['network', '--target', 'embedded', '--json'], { timeoutMs: 60_000 });
    const rep = JSON.parse(r.stdout) as {
      endpoints: { endpoint: { name: string }; host: string; verdict: string }[];
    };
    expect(rep.endpoints.map((e) => e.endpoint.name)).toEqual([
      'www.upwork.invalid',
      'upwork-usw2-desktopapp.upwork.invalid',
      'reference server (simulated)',
    ]);
    expect(rep.endpoints[2]).toMatchObject({ host: '127.0.0.1', verdict: 'pass' });
  }, 90_000);
});

describe('scenarios simulate on purpose and say so', () => {
  it('clock-skew: the simulated finding is marked in JSON, text and HTML', async () => {
    const home = tempDir('uwd-world-scn-');
    const args = ['--scenario', 'clock-skew', '--only', 'clock-skew,contracts'];
    const json = parse((await runCli([...args, '--json'], { home, timeoutMs: 90_000 })).stdout);
    expect(find(json, 'clock-skew')).toMatchObject({ status: 'fail', simulated: { scenario: 'clock-skew' } });
    expect(find(json, 'contracts').simulated).toBeUndefined();
    const text = await runCli(args, { home, timeoutMs: 90_000, env: UTF8 });
    expect(text.stdout).toMatch(/^✗ Clock accuracy \[simulated by scenario clock-skew\]: /m);
    expect(text.stdout).toMatch(
      /^Scenario "clock-skew" reproduces a problem on the built-in reference tracker/m,
    );
    const html = await runCli([...args, '--format', 'html'], { home, timeoutMs: 90_000 });
    expect(html.stdout).toContain('[simulated by scenario clock-skew]');
    expect(html.stdout).toContain('reproduces a problem on the built-in reference tracker');
  }, 200_000);

  it('stuck-caching: the printed fix command, run as printed, fixes the scenario', async () => {
    const home = tempDir('uwd-world-fix-');
    const r = await runCli(['--scenario', 'stuck-caching', '--only', 'cache-fullness', '--json'], {
      home,
      timeoutMs: 90_000,
    });
    const printed = find(parse(r.stdout), 'cache-fullness').remediation!.commands.find((c) =>
      c.startsWith('upwork-doctor fix'),
    )!;
    expect(printed).toBe('upwork-doctor fix --only cache-upload --scenario stuck-caching');
    const argv = printed.split(' ').slice(1);
    const fixed = await runCli([...argv, '--yes'], { home, timeoutMs: 120_000, env: UTF8 });
    expect(fixed.stdout, fixed.stderr).toMatch(/^cache-upload: fixed \(cache-fullness fail → pass\)/m);
    expect(fixed.code).toBe(0);
  }, 240_000);
});

describe('whose tracker the run read', () => {
  it('--data-dir on an engine folder is the reference engine; --app-dir names the install folder', async () => {
    const home = tempDir('uwd-world-dd-');
    await runCli(['--only', 'data-dir'], { home });
    const engineDir = path.join(home, 'doctor', 'reference');
    const r = parse(
      (await runCli(['--data-dir', engineDir, '--only', 'data-dir', '--json'], { home })).stdout,
    );
    expect(r.target).toMatchObject({ kind: 'embedded', reference: true, args: ['--data-dir', engineDir] });
    expect(r.target.headline).toMatch(/holds the built-in reference tracker, not an Upwork app/);
    expect(find(r, 'data-dir').referenceTracker).toBe(true);

    const app = path.join(home, 'Upwork-app');
    mkdirSync(app);
    const a = parse((await runCli(['--app-dir', app, '--only', 'data-dir', '--json'], { home })).stdout);
    expect(a.target).toMatchObject({ kind: 'installed', installDirs: [app], args: ['--app-dir', app] });
    expect(a.target.headline).toBeUndefined();
    expect(find(a, 'data-dir').referenceTracker).toBeUndefined();
  }, 90_000);
});
