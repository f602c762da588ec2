/** Wording and option conflicts (issue 12 item 16): each answer is one line that says what is meant. */
import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/core/format.js';
import { runCli } from '../helpers/cli.js';

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
