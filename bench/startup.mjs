// Startup cost of the CLI as a ratio against a bare `node -e ""` measured in the same script.
// Run: npm run build && node bench/startup.mjs [runs]
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const runs = Number(process.argv[2] ?? 15);
const bin = path.resolve(import.meta.dirname, '..', 'bin', 'upwork-doctor.js');
const home = mkdtempSync(path.join(os.tmpdir(), 'uwd-bench-'));
const env = { ...process.env, HOME: home, UPWORK_DOCTOR_HOME: path.join(home, 'doctor'), NO_COLOR: '1' };

function median(args) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { env, stdio: 'ignore' });
    if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')} exited ${r.status}`);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const base = median(['-e', '']);
const rows = [
  ['node -e ""  (baseline)', base],
  ['upwork-doctor --version', median([bin, '--version'])],
  ['upwork-doctor --help', median([bin, '--help'])],
  [
    'upwork-doctor --only disk-space,data-dir --json',
    median([bin, '--only', 'disk-space,data-dir', '--json']),
  ],
];
console.log(`median of ${runs} runs each, node ${process.version}, ${os.cpus().length} cores`);
for (const [name, ms] of rows)
  console.log(`${name.padEnd(52)} ${ms.toFixed(1).padStart(7)} ms   ×${(ms / base).toFixed(2)}`);
