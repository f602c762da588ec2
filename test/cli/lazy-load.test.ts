import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, ROOT, tempDir } from '../helpers/cli.js';

const HEAVY = [
  'systeminformation',
  'node-forge',
  'archiver',
  'enquirer',
  'open',
  'pac-resolver',
  'quickjs-wasi',
  'yauzl',
  'pngjs',
  'jpeg-js',
  'playwright-core',
  'ps-list',
];

function loadedBy(args: string[]): string[] {
  const trace = path.join(tempDir(), 'trace.txt');
  const r = spawnSync(
    process.execPath,
    ['--import', path.join(ROOT, 'test/helpers/trace-register.mjs'), BIN, ...args],
    {
      env: { PATH: process.env.PATH, HOME: tempDir(), UWD_TRACE_FILE: trace, NO_COLOR: '1' },
      encoding: 'utf8',
    },
  );
  expect(r.status).toBe(0);
  return readFileSync(trace, 'utf8').split('\n').filter(Boolean);
}

describe('startup stays light', () => {
  it.each([['--help'], ['--version'], ['check', '--help']])(
    '%s loads none of the heavy libraries',
    (...args) => {
      const urls = loadedBy(args);
      // The trace works: it saw the CLI's own modules and commander.
      expect(urls.some((u) => u.includes('/dist/cli/main.js'))).toBe(true);
      expect(urls.some((u) => u.includes('/node_modules/commander/'))).toBe(true);
      for (const lib of HEAVY) expect(urls.filter((u) => u.includes(`/node_modules/${lib}/`))).toEqual([]);
    },
  );

  it('a real run does load what it needs (the trace is not blind to node_modules)', () => {
    const urls = loadedBy(['--only', 'disk-space', '--target', 'embedded', '--format', 'json']);
    expect(urls.some((u) => u.includes('/dist/cli/run-check.js'))).toBe(true);
  });
});
