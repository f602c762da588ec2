/**
 * The Node floor: the code needs Node 20.15 (node:zlib crc32), so the bin gate checks major and
 * minor and says so in one line, and package.json's engines says the same.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, tempDir } from '../helpers/cli.js';

/** Run the bin as if Node were `version` (process.versions replaced before the bin runs). */
function runAs(version: string) {
  const fake = path.join(tempDir(), 'fake-version.cjs');
  writeFileSync(
    fake,
    `Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '${version}' } });\n` +
      `Object.defineProperty(process, 'version', { value: 'v${version}' });\n`,
  );
  return spawnSync(process.execPath, ['--require', fake, BIN, '--version'], { encoding: 'utf8' });
}

describe('Node floor', () => {
  it.each(['20.14.1', '18.20.4', '16.0.0'])('Node %s is refused in one line, exit 2', (v) => {
    const r = runAs(v);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `upwork-doctor: error: it needs Node.js 20.15 or newer, and this is Node.js v${v}: install a current Node.js from https://nodejs.org and run it again.\n`,
    );
  });

  it.each(['20.15.0', '22.1.0'])('Node %s passes the gate', (v) => {
    const r = runAs(v);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('engines in package.json says the same floor', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    expect(pkg.engines.node).toBe('>=20.15');
  });
});
