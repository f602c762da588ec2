/** Shared setup for the bundle end-to-end and reliability tests: a tracker folder and readers. */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';

export const FIX = path.join(ROOT, 'fixtures', 'redaction');
export const fixtureLines = (f: string) =>
  readFileSync(path.join(FIX, f), 'utf8').split('\n').filter(Boolean);

/**
 * A tracker data folder under a home path that names its user (so every path in the facts
 * carries a user name to redact), with the canary logs and a cache of journal files and
 * screenshots.
 */
export function makeTracker(
  root: string,
  opts: { extraLogBytes?: number } = {},
): { dataDir: string; cacheDir: string; logsDir: string } {
  const dataDir = path.join(root, 'home', 'dana.whitfield', '.Upwork');
  const logsDir = path.join(dataDir, 'Upwork', 'Logs');
  const cacheDir = path.join(dataDir, 'Upwork', 'Cache');
  mkdirSync(logsDir, { recursive: true });
  mkdirSync(path.join(cacheDir, 'journal'), { recursive: true });
  mkdirSync(path.join(cacheDir, 'screenshots'), { recursive: true });
  writeFileSync(path.join(logsDir, 'upwork.log'), readFileSync(path.join(FIX, 'canaries.log')));
  writeFileSync(path.join(logsDir, 'upwork.1.log'), readFileSync(path.join(FIX, 'more-canaries.log')));
  writeFileSync(path.join(logsDir, 'empty.log'), '');
  if (opts.extraLogBytes) writeFileSync(path.join(logsDir, 'upwork.2.log'), bulkLog(opts.extraLogBytes, 7));
  for (let i = 0; i < 3; i++)
    writeFileSync(
      path.join(cacheDir, 'journal', `00000000004${i}.jrnl`),
      `J1 0badc0de 40 {"type":"SEAL","segment":"2026-11-16T09:${i}0Z","memo":"secret memo ${i}"}\n`,
    );
  writeFileSync(path.join(cacheDir, 'screenshots', 'shot-1.png'), crypto.randomBytes(4096));
  return { dataDir, cacheDir, logsDir };
}

/** Log lines that compress like real logs (timestamps, counters, ids), `bytes` long, deterministic. */
export function bulkLog(bytes: number, seed: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  let x = seed;
  for (let i = 0; size < bytes; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const t = new Date(Date.UTC(2026, 10, 10) + i * 1000).toISOString().replace('T', ' ').replace('Z', '');
    const l = `[${t}] [info]  tracker: tick ${i} activity ${x % 11}/10 id=${x.toString(16)} queue=${x % 97}\n`;
    lines.push(l);
    size += l.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

/** Every file under a folder with its size, mtime and sha256: the cache's fingerprint. */
export function fingerprint(dir: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = path.join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else
        out.push(
          `${path.relative(dir, p)} ${st.size} ${st.mtimeMs} ${crypto.createHash('sha256').update(readFileSync(p)).digest('hex')}`,
        );
    }
  };
  walk(dir);
  return out.join('\n');
}

/** Every entry of a zip, decompressed, read back by Python's zipfile (a standard reader). */
export function pythonUnzip(zip: string): Record<string, Buffer> {
  const script = [
    'import zipfile, sys, json, base64',
    'z = zipfile.ZipFile(sys.argv[1])',
    'bad = z.testzip()',
    'assert bad is None, bad',
    'print(json.dumps({i.filename: base64.b64encode(z.read(i)).decode() for i in z.infolist()}))',
  ].join('\n');
  const out = execFileSync('python3', ['-c', script, zip], { maxBuffer: 512 * 1024 * 1024 }).toString();
  const parsed = JSON.parse(out) as Record<string, string>;
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
}

export function haveBinary(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
