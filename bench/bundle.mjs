// Bundle cost as ratios against baselines measured in the same script, on the same logs:
//   time:   `upwork-doctor bundle` vs `zip -r` of the same Logs folder;
//   memory: peak RSS of the bundle vs the RSS of the same CLI doing nothing (`--version`), at a
//           small and a large amount of logs: flat memory means the ratio does not grow with size.
// Run: npm run build && node bench/bundle.mjs [GiB, default 1]
// Needs `zip` and GNU `/usr/bin/time` (for peak RSS). Writes only under the OS temp folder.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const gib = Number(process.argv[2] ?? 1);
const bin = path.resolve(import.meta.dirname, '..', 'bin', 'upwork-doctor.js');
const root = mkdtempSync(path.join(os.tmpdir(), 'uwd-bench-bundle-'));
const env = { ...process.env, HOME: root, UPWORK_DOCTOR_HOME: path.join(root, 'doctor'), NO_COLOR: '1' };

/** `bytes` of tracker-like log lines in files of at most 128 MiB, written in 1 MiB chunks. */
function makeLogs(dir, bytes) {
  const logs = path.join(dir, 'Upwork', 'Logs');
  mkdirSync(logs, { recursive: true });
  const per = 128 * 1024 * 1024;
  let i = 0;
  for (let f = 0, left = bytes; left > 0; f++, left -= per) {
    const fd = openSync(path.join(logs, `upwork.${f}.log`), 'w');
    let written = 0;
    const want = Math.min(per, left);
    while (written < want) {
      const lines = [];
      let n = 0;
      while (n < 1024 * 1024) {
        const t = new Date(Date.UTC(2026, 10, 1) + i * 250).toISOString().replace('T', ' ').replace('Z', '');
        const l =
          i % 50 === 0
            ? `[${t}] [debug] http: GET https://www.upwork.com/api/v3/contracts Authorization: Bearer ya29.tok${i.toString(36)}abcdefghij user dana${i % 7}@example-mail.com\n`
            : `[${t}] [info]  tracker: segment ${i} activity ${i % 11}/10 queue=${(i * 7919) % 997} id=${((i * 2654435761) >>> 0).toString(16)}\n`;
        lines.push(l);
        n += l.length;
        i++;
      }
      const buf = Buffer.from(lines.join('')).subarray(0, want - written);
      writeSync(fd, buf);
      written += buf.length;
    }
    closeSync(fd);
  }
  return logs;
}

/** Wall time (ms) and peak RSS (KiB) of a command, via GNU time. */
function measure(cmd, args, cwd) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], {
    env,
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-500)}`);
  const rss = Number(r.stderr.trim().split('\n').at(-1));
  return { ms, rss };
}

const sizes = [64 * 1024 * 1024, Math.round(gib * 1024 ** 3)];
const idle = measure(process.execPath, [bin, '--version']);
const rows = [];
for (const bytes of sizes) {
  const data = path.join(root, `data-${bytes}`);
  const logs = makeLogs(data, bytes);
  const out = path.join(root, `out-${bytes}`);
  mkdirSync(out);
  const zip = measure('zip', ['-r', '-q', path.join(out, 'baseline.zip'), '.'], logs);
  // A budget large enough that every byte of the logs goes through redaction and into the zip.
  const budgetMB = String(Math.ceil((bytes / 1e6) * 1.1) + 10);
  const b = measure(process.execPath, [
    bin,
    'bundle',
    '--data-dir',
    data,
    '--out',
    out,
    '--yes',
    '--max-size',
    budgetMB,
    '-q',
  ]);
  const archive = spawnSync('sh', ['-c', `ls ${out}/upwork-doctor-*.zip`], {
    encoding: 'utf8',
  }).stdout.trim();
  const bundleSize = statSync(archive).size;
  // The same run under a 128 MiB V8 heap cap: it completes only if the live set stays small
  // (most of the uncapped RSS is garbage V8 has not collected yet).
  rmSync(archive);
  const capped = measure(process.execPath, [
    '--max-old-space-size=128',
    bin,
    'bundle',
    '--data-dir',
    data,
    '--out',
    out,
    '--yes',
    '--max-size',
    budgetMB,
    '-q',
  ]);
  rows.push({
    logs: `${(bytes / 1024 ** 2).toFixed(0)} MiB`,
    zipMs: zip.ms,
    bundleMs: b.ms,
    timeRatio: b.ms / zip.ms,
    rssMiB: b.rss / 1024,
    rssRatio: b.rss / idle.rss,
    cappedMs: capped.ms,
    cappedRssMiB: capped.rss / 1024,
    zipSize: statSync(path.join(out, 'baseline.zip')).size,
    bundleSize,
  });
  rmSync(data, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
}
rmSync(root, { recursive: true, force: true });

console.log(`idle CLI (--version) peak RSS: ${(idle.rss / 1024).toFixed(0)} MiB`);
console.log(
  '| logs | zip -r | bundle | time ratio | bundle peak RSS | RSS ratio to idle CLI | peak RSS, heap capped at 128 MiB | zip -r size | bundle size |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.logs} | ${(r.zipMs / 1000).toFixed(1)} s | ${(r.bundleMs / 1000).toFixed(1)} s | ×${r.timeRatio.toFixed(2)} | ${r.rssMiB.toFixed(0)} MiB | ×${r.rssRatio.toFixed(2)} | ${r.cappedRssMiB.toFixed(0)} MiB (${(r.cappedMs / 1000).toFixed(1)} s) | ${(r.zipSize / 1024 ** 2).toFixed(1)} MiB | ${(r.bundleSize / 1024 ** 2).toFixed(1)} MiB |`,
  );
const [small, large] = rows;
console.log(
  `peak RSS at ${large.logs} / at ${small.logs}: ×${(large.rssMiB / small.rssMiB).toFixed(2)}; heap-capped: ×${(large.cappedRssMiB / small.cappedRssMiB).toFixed(2)} (flat memory: close to 1)`,
);
