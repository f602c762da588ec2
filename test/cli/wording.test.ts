/** Wording and option conflicts (issue 12 item 16): each answer is one line that says what is meant. */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { terminalUnicode } from '../../src/core/context.js';
import { asciiText, formatDuration } from '../../src/core/format.js';
import { runCli, tempDir } from '../helpers/cli.js';

describe('words', () => {
  it('durations never read "14 min 60 s"', () => {
    expect(formatDuration(899_600)).toBe('15 min 0 s');
    expect(formatDuration(59_980)).toBe('1 min 0 s');
    expect(formatDuration(61_000)).toBe('1 min 1 s');
    expect(formatDuration(3_599_700)).toBe('1 h 0 min');
  });

  const refused: [string[], RegExp][] = [
    [['chek'], /^upwork-doctor: error: unknown command 'chek' \(Did you mean check\?\) \(see --help\)\n$/],
    [['bundel', '--yes'], /unknown command 'bundel' \(Did you mean bundle\?\)/],
    [['xyzzy'], /^upwork-doctor: error: unknown command 'xyzzy' \(see --help\)\n$/],
    [['--only', ''], /--only <ids>' argument '' is invalid\. It needs at least one check id/],
    [['--only', ' , '], /It needs at least one check id/],
    [['--json', '--format', 'junit'], /--json and --format junit ask for two formats; use one\./],
    [
      ['--facts', 'a.json', '--record', 'b.json'],
      /--record saves the facts of this machine; with --facts nothing is collected/,
    ],
  ];
  it.each(refused)('%j is refused in one line, exit 2', async (args, message) => {
    const r = await runCli(args, { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  // One prefix for every command's errors, the engine's subcommands included.
  const errors: string[][] = [
    ['--only', 'nope'],
    ['check', '--facts', '/nonexistent/facts.json'],
    ['scenarios', 'extra'],
    ['engine', 'status', '--data-dir', '/nonexistent/engine'],
    ['engine', 'serve', '--port', 'abc'],
    ['engine', 'track', '--contract', 'c-1', '--minutes', 'abc'],
    ['inspect', '/nonexistent/bundle.zip'],
    ['undo', 'no-such-run'],
    ['network', '--endpoint', 'notaurl'],
    ['bundle', '--max-size', '-1'],
  ];
  it.each(errors)('%s …: one line starting "upwork-doctor: error: "', async (...args) => {
    const r = await runCli(args, { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^upwork-doctor: error: \S/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--list --json prints JSON', async () => {
    const r = await runCli(['--list', '--json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { id: string; title: string }[];
    expect(list.map((c) => c.id)).toContain('disk-space');
  });
});

describe('ASCII marks where the terminal cannot show Unicode', () => {
  it.each([
    ['LANG=C', 'linux', { LANG: 'C' }, false],
    ['no locale set (the C locale)', 'linux', {}, false],
    ['LANG=en_US.UTF-8', 'linux', { LANG: 'en_US.UTF-8' }, true],
    ['LC_ALL=C wins over a UTF-8 LANG', 'linux', { LC_ALL: 'C', LANG: 'en_US.UTF-8' }, false],
    ['LC_CTYPE=UTF-8 (macOS)', 'darwin', { LC_CTYPE: 'UTF-8' }, true],
    ['TERM=dumb, even in UTF-8', 'linux', { TERM: 'dumb', LANG: 'C.UTF-8' }, false],
    ['Windows Terminal', 'win32', { WT_SESSION: 'x' }, true],
    ['the legacy Windows console', 'win32', {}, false],
  ] as const)('%s', (_name, platform, env, unicode) => {
    expect(terminalUnicode(platform, env)).toBe(unicode);
  });

  it('folds our typography and box drawing to ASCII, leaves other letters alone', () => {
    expect(asciiText('✓ a → b … “c” · d ±1 ─┼│ Café')).toBe('[ok] a -> b ... "c" - d +/-1 -+| Café');
  });

  const check = (env: Record<string, string>) =>
    runCli(['--only', 'disk-space,data-dir', '--data-dir', path.join(tempDir(), 'missing')], { env });

  it.each([
    ['LANG=C', { LANG: 'C' }],
    ['TERM=dumb', { TERM: 'dumb', LANG: 'C.UTF-8' }],
  ])("%s: the report has the README's [ok] [FAIL] marks and only ASCII", async (_n, env) => {
    const r = await check(env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^\[FAIL\] Tracker data folder: .*does not exist/m);
    expect(r.stdout).toMatch(/^\[ok\] Disk space: /m);
    expect(r.stdout).toMatch(/^ {4}-> Start the Upwork app/m);
    expect(r.stdout + r.stderr).not.toMatch(/[^\x00-\x7f]/);
  });

  it('a UTF-8 terminal keeps the Unicode marks', async () => {
    const r = await check({ LANG: 'en_US.UTF-8' });
    expect(r.stdout).toMatch(/^✗ Tracker data folder: /m);
    expect(r.stdout).toMatch(/^✓ Disk space: /m);
    expect(r.stdout).toMatch(/^ {4}→ Start the Upwork app/m);
  });

  it('network and errors too: ASCII marks, no Unicode', async () => {
    const net = await runCli(['network', '--endpoint', 'https://127.0.0.1:1/', '--deadline', '20'], {
      env: { LANG: 'C' },
      timeoutMs: 40_000,
    });
    expect(net.stdout).toMatch(/^ {2}\[FAIL\] +tcp /m);
    expect(net.stdout + net.stderr).not.toMatch(/[^\x00-\x7f]/);
  });
});
