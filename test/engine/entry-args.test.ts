/**
 * The Helper and the reliability worker read their command lines with node:util parseArgs: a wrong
 * flag, mode or number is one line on stderr and exit 2 (never a stack trace, never a silent
 * default). Needs the build (npm run build).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const HELPER = path.resolve('dist/engine/helper/main.js');
const WORKER = path.resolve('dist/engine/worker.js');

function run(script: string, args: string[]) {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stderr: r.stderr };
}

describe('entry-point arguments', () => {
  it.each([
    [['--mode', 'bogus'], /^Upwork Helper: --mode must be one of normal, black, cpu, not "bogus"\n$/],
    [['--max-seconds', 'soon'], /^Upwork Helper: --max-seconds must be a positive number, not "soon"\n$/],
    [['--max-seconds', '-1'], /^Upwork Helper: Option '--max-seconds' argument is ambiguous\..*\n$/],
    [['--enable-gpu', '--what'], /^Upwork Helper: Unknown option '--what'.*\n$/],
    [['extra', 'again'], /^Upwork Helper: unexpected argument "extra"\n$/],
  ])('Helper %j: one line, exit 2', (args, line) => {
    const r = run(HELPER, args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(line);
  });

  it('Helper: good flags run (and --max-seconds ends it)', () => {
    const r = run(HELPER, ['--mode', 'normal', '--enable-gpu', '--max-seconds', '0.3']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it.each([
    [[], /^worker: usage: worker\.js track/],
    [['fly'], /^worker: usage: /],
    [['track', '/tmp/x', 'noon', '10'], /^worker: track: argument 2 must be a number, not "noon"; usage: /],
    [['verify'], /^worker: usage: /],
    [['verify', '/tmp/x', 'extra'], /^worker: usage: /],
    [['verify', '--fast', '/tmp/x'], /^worker: Unknown option '--fast'.*; usage: /],
    [
      ['upload', '/c', 'https://127.0.0.1:1', '/ca.pem', 'later'],
      /^worker: upload: argument 4 must be a number/,
    ],
  ])('worker %j: one line, exit 2', (args, line) => {
    const r = run(WORKER, args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(line);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
