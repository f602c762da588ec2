// The ticket bundle against baselines measured in the same run, on the same logs:
//   time:    `upwork-doctor bundle` (redaction included) vs `zip -r -6` of the same Logs folder;
//   memory:  peak RSS of the bundle at a small and a large amount of logs (flat = the same peak);
//   inspect: `upwork-doctor inspect` verifying the bundle (every entry inflated and its sha256
//            checked against the manifest, the JSON parts validated, the checks re-run, the log
//            timeline) vs `sha256sum` of the same logs as plain files, as throughput: log bytes per
//            second of wall time, whole commands (process start included) on both sides.
// The logs look like the real app's: daily files `upwork..YYYYMMDD.log`, log4js lines
// `[2025-04-10T12:30:45.123] [INFO] category - message`, multi-line JSON payloads, and secrets
// sprinkled (Bearer tokens, cookies, emails, passwords in URLs, JWTs, home paths).
//
// Run: npm run build && node bench/bundle.mjs [large MiB, default 1024] [small MiB, default 100]
//      [rounds, default 3: zip and bundle alternate, the row is the median of the per-round ratios]
// Needs `zip`, `sha256sum` and GNU `/usr/bin/time`. Writes only under the OS temp folder, and
// bench/results.json. On a shared machine run it under `flock /work/fullsuite.lock`.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const largeMiB = Number(process.argv[2] ?? 1024);
const smallMiB = Number(process.argv[3] ?? 100);
const rounds = Math.max(1, Number(process.argv[4] ?? 3));
const bin = path.resolve(import.meta.dirname, '..', 'bin', 'upwork-doctor.js');
const root = mkdtempSync(path.join(os.tmpdir(), 'uwd-bench-bundle-'));
const env = { ...process.env, HOME: root, UPWORK_DOCTOR_HOME: path.join(root, 'doctor'), NO_COLOR: '1' };

const CATEGORIES = [
  'main.shell.os_services',
  'tracker.segments',
  'uploader',
  'network.monitor',
  'renderer.ui',
];
const pad = (n, w = 2) => String(n).padStart(w, '0');

/** One log4js line (or a multi-line JSON payload) number `i` of day `d`; secrets now and then. */
function line(i, day) {
  const ms = i * 347;
  const t = `${day}T${pad(Math.floor(ms / 3_600_000) % 24)}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}.${pad(ms % 1000, 3)}`;
  const cat = CATEGORIES[i % CATEGORIES.length];
  const k = i % 400;
  if (k === 7)
    return `[${t}] [DEBUG] uploader - request {"url":"https://www.upwork.com/api/v3/workdiary","headers":{"Authorization":"Bearer ya29.a0Af${((i * 2654435761) >>> 0).toString(36)}Xk9Lm2Np4Qr6St8Uv"}}\n`;
  if (k === 61)
    return `[${t}] [INFO] auth - signed in as dana.whitfield${i % 5}@example-mail.com (uid 1402281)\n`;
  if (k === 133)
    return `[${t}] [DEBUG] network.monitor - Cookie: master_access_token=${((i * 40503) >>> 0).toString(16)}.oauth2v2_4b1d8a7e6f5c4b3a2d1e; console_user=dwhitfield\n`;
  if (k === 211)
    return `[${t}] [WARN] network.monitor - proxy http://corpuser:Winter2026!@proxy.internal.example:3128 slow\n`;
  if (k === 277)
    return `[${t}] [INFO] main.shell.os_services - userData=/home/dana.whitfield/.Upwork/Upwork/UserData ready\n`;
  if (k === 333)
    return `[${t}] [INFO] tracker.segments - {\n  "type": "TRACKER_UPLOAD_STARTED",\n  "minutesWorkedThisWeek": ${i % 2400},\n  "contractId": "3887${pad(i % 10000, 4)}"\n}\n`;
  if (k === 389) return `[${t}] [INFO] main.shell.os_services - Electron Screensnap succeeded.\n`;
  return `[${t}] [INFO] ${cat} - segment ${i} activity ${i % 11}/10 keyboard=${(i * 7) % 97} mouse=${(i * 13) % 89} queue=${(i * 7919) % 997}\n`;
}

/** `mib` MiB of logs in daily files of about 34 MiB (a month of a busy tracker is about 1 GiB). */
function makeLogs(dir, mib) {
  const logs = path.join(dir, 'Upwork', 'Logs');
  mkdirSync(logs, { recursive: true });
  const per = 34 * 1024 * 1024;
  let left = mib * 1024 * 1024;
  for (let d = 0; left > 0; d++) {
    const date = new Date(Date.UTC(2025, 3, 30) - d * 86_400_000);
    const day = date.toISOString().slice(0, 10);
    const fd = openSync(path.join(logs, `upwork..${day.replace(/-/g, '')}.log`), 'w');
    const want = Math.min(per, left);
    let written = 0;
    for (let i = 0; written < want;) {
      const lines = [];
      let n = 0;
      while (n < 1 << 20) {
        const l = line(i++, day);
        lines.push(l);
        n += l.length;
      }
      const buf = Buffer.from(lines.join('')).subarray(0, want - written);
      writeSync(fd, buf);
      written += buf.length;
    }
    closeSync(fd);
    left -= want;
  }
  return logs;
}

/** Wall time (ms), peak RSS (KiB) and CPU seconds (user + system) of a command, via GNU time. */
function measure(cmd, args, cwd) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', cmd, ...args], {
    env,
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && !(cmd === process.execPath && args.includes('inspect') && r.status === 1))
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-800)}`);
  const [rss, user, sys] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { ms, rss, cpuS: user + sys, stdout: r.stdout };
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * One size: `rounds` pairs of zip then bundle (and sha256sum then inspect), back to back, so that
 * both sides of each ratio meet the same moment of a shared machine; the row gives the median of
 * the per-round ratios (and times), the highest peak RSS, and every round's ratio.
 */
function runSize(mib) {
  const data = path.join(root, `data-${mib}`);
  const logs = makeLogs(data, mib);
  const bytes = readdirSync(logs).reduce((n, f) => n + statSync(path.join(logs, f)).size, 0);
  const out = path.join(root, `out-${mib}`);
  mkdirSync(out);
  const budgetMB = String(Math.ceil((bytes / 1e6) * 1.1) + 10);
  const r = [];
  for (let i = 0; i < rounds; i++) {
    rmSync(path.join(out, 'baseline.zip'), { force: true });
    const zip = measure('zip', ['-r', '-6', '-q', path.join(out, 'baseline.zip'), '.'], logs);
    const bundle = measure(process.execPath, [
      bin,
      'bundle',
      '--data-dir',
      data,
      '--out',
      out,
      '--yes',
      '--max-size',
      budgetMB,
      '--json',
    ]);
    const archive = JSON.parse(bundle.stdout).path;
    const sha = measure(
      'sha256sum',
      readdirSync(logs).map((f) => path.join(logs, f)),
    );
    const inspect = measure(process.execPath, [bin, 'inspect', archive, '--json']);
    const verified = JSON.parse(inspect.stdout);
    r.push({ zip, bundle, sha, inspect, verified, archive, size: statSync(archive).size });
    if (i < rounds - 1) rmSync(archive);
  }
  const row = {
    logs: `${mib} MiB`,
    logBytes: bytes,
    rounds,
    zipMs: Math.round(median(r.map((x) => x.zip.ms))),
    bundleMs: Math.round(median(r.map((x) => x.bundle.ms))),
    zipCpuS: median(r.map((x) => x.zip.cpuS)),
    bundleCpuS: median(r.map((x) => x.bundle.cpuS)),
    timeRatio: median(r.map((x) => x.bundle.ms / x.zip.ms)),
    timeRatios: r.map((x) => Number((x.bundle.ms / x.zip.ms).toFixed(3))),
    bundlePeakRssMiB: Math.max(...r.map((x) => x.bundle.rss)) / 1024,
    zipSize: statSync(path.join(out, 'baseline.zip')).size,
    bundleSize: r.at(-1).size,
    sha256sumMBps: bytes / 1e6 / (median(r.map((x) => x.sha.ms)) / 1000),
    inspectMBps: bytes / 1e6 / (median(r.map((x) => x.inspect.ms)) / 1000),
    inspectPeakRssMiB: Math.max(...r.map((x) => x.inspect.rss)) / 1024,
    inspectIntegrity: r.every((x) => (x.verified?.verification?.ok ?? x.verified?.integrity) === true),
  };
  row.inspectRatio = row.inspectMBps / row.sha256sumMBps;
  rmSync(data, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
  return row;
}

try {
  const loadAverageAtStart = os.loadavg().map((x) => Number(x.toFixed(2)));
  const small = runSize(smallMiB);
  const large = runSize(largeMiB);
  const rssFlat = large.bundlePeakRssMiB / small.bundlePeakRssMiB;
  const results = {
    command: `node bench/bundle.mjs ${largeMiB} ${smallMiB} ${rounds}`,
    node: process.version,
    cpus: os.availableParallelism(),
    loadAverageAtStart,
    loadAverageAtEnd: os.loadavg().map((x) => Number(x.toFixed(2))),
    rows: [small, large],
    peakRssLargeOverSmall: rssFlat,
    targets: { timeRatioMax: 1.0, peakRssMiBMax: 200, rssFlatWithin: 0.1, inspectRatioMin: 0.8 },
  };
  writeFileSync(path.resolve(import.meta.dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const f1 = (x) => x.toFixed(1);
  console.log(
    '| logs | zip -r -6 | bundle | time ratio | bundle peak RSS | zip size | bundle size | sha256sum | inspect | inspect / sha256sum |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results.rows)
    console.log(
      `| ${r.logs} | ${f1(r.zipMs / 1000)} s | ${f1(r.bundleMs / 1000)} s | ×${r.timeRatio.toFixed(2)} | ${r.bundlePeakRssMiB.toFixed(0)} MiB | ${f1(r.zipSize / 2 ** 20)} MiB | ${f1(r.bundleSize / 2 ** 20)} MiB | ${r.sha256sumMBps.toFixed(0)} MB/s | ${r.inspectMBps.toFixed(0)} MB/s | ×${r.inspectRatio.toFixed(2)} |`,
    );
  console.log(
    `peak RSS at ${large.logs} / at ${small.logs}: ×${rssFlat.toFixed(2)} (flat: within ×0.90–×1.10)`,
  );
  for (const r of results.rows)
    console.log(`${r.logs}: time ratio per round ${r.timeRatios.map((x) => `×${x.toFixed(2)}`).join(' ')}`);
  for (const r of results.rows)
    console.log(
      `${r.logs}: CPU seconds zip ${f1(r.zipCpuS)}, bundle ${f1(r.bundleCpuS)} (×${(r.bundleCpuS / r.zipCpuS).toFixed(2)})`,
    );
  console.log(
    `load average at start ${loadAverageAtStart.join(' ')}, at end ${results.loadAverageAtEnd.join(' ')}`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
