/**
 * Every duration option has a range, checked while parsing: one line naming the option, the range
 * and the value, exit 2, before anything runs. Node's timers hold at most 2^31-1 ms, so an
 * unbounded value fired at once (`--deadline 1e9` cut every check short in 35 ms) or overflowed
 * (`--timeout 3000000` was reported as a firewall).
 */
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/report/bundle/names.js';
import { runCli } from '../helpers/cli.js';

const cases: [string[], RegExp][] = [
  [['network', '--timeout', '3000000'], /--timeout must be between 0\.1 and 300 seconds \(got "3000000"\)/],
  [['check', '--deadline', '1e9'], /--deadline must be between 1 and 3600 seconds \(got "1e9"\)/],
  [['check', '--cpu-window', '99999'], /--cpu-window must be between 0\.5 and 300 seconds/],
  [['fix', '--deadline', '0'], /--deadline must be between 1 and 3600 seconds \(got "0"\)/],
  [['bundle', '--deadline', 'Infinity'], /--deadline must be between 1 and 3600 seconds/],
  [['network', '--deadline', '-5'], /--deadline must be between 1 and 3600 seconds/],
  [['inspect', 'x.zip', '--hours', '1e12'], /--hours must be between 0\.1 and 8760 hours/],
  [['engine', 'serve', '--slow', '1e10'], /--slow must be between 0 and 60000 ms/],
  [['engine', 'serve', '--skew', 'soon'], /--skew must be between -604800 and 604800 seconds \(got "soon"\)/],
  [['engine', 'serve', '--port', '70000'], /--port must be between 1 and 65535/],
  [
    ['engine', 'track', '--contract', 'c', '--memo', 'm', '--speed', '1e-9'],
    /--speed must be 0, or between 0\.01 and 100000/,
  ],
  [
    ['engine', 'track', '--contract', 'c', '--memo', 'm', '--minutes', '1e9'],
    /--minutes must be between 1 and 10080 minutes/,
  ],
];

describe('duration options are bounded', () => {
  it.each(cases)('%j is refused in one line, exit 2', async (args, message) => {
    const r = await runCli(args, { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });
});

it('--since is at most a year', () => {
  expect(parseDuration('52w')).toBe(52 * 6048e5);
  expect(() => parseDuration('99999999w')).toThrow(/--since must be at most a year, like 52w \(got "99999999w"\)/);
});
