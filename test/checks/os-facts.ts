/** Facts built by running the real collectors on recorded OS outputs (fixtures/os/). */
import { createTestContext } from '../../src/core/context.js';
import type { Facts } from '../../src/core/facts.js';
import { installsCollector } from '../../src/facts/installs.js';
import { processesCollector } from '../../src/facts/processes.js';
import { securityCollector } from '../../src/facts/security.js';
import type { ProcessesFacts, TrackerProcess } from '../../src/facts/processes.js';
import { collect, fakeExec, fixture, winContext } from '../facts/os-helpers.js';
import { makeFacts } from '../helpers/facts.js';

/** installs, processes and security from one recorded batched PowerShell output. */
export async function windowsFacts(batch: string, dataDir = '/nonexistent/uwd-data'): Promise<Facts> {
  const { ctx } = winContext(batch);
  const opts = { dataDir, options: { cpuWindowSec: 3 } };
  const [installs, processes, security] = await Promise.all([
    collect(installsCollector, ctx, opts),
    collect(processesCollector, ctx, opts),
    collect(securityCollector, ctx, opts),
  ]);
  return makeFacts(
    { installs: installs.value, processes: processes.value, security: security.value },
    { platform: 'win32' },
  );
}

/** processes from the two recorded macOS `ps` samples, 3 s apart. */
export async function macProcesses(): Promise<ProcessesFacts> {
  let n = 0;
  let t = 0;
  const ctx = createTestContext({
    platform: 'darwin',
    monotonic: () => (t += 3000),
    exec: fakeExec({
      ps: () => ({ stdout: fixture('darwin', n++ === 0 ? 'ps-sample1.txt' : 'ps-sample2.txt') }),
    }),
  });
  return (await collect(processesCollector, ctx)).value;
}

export function proc(over: Partial<TrackerProcess>): TrackerProcess {
  return {
    pid: 4242,
    ppid: 1,
    name: 'Upwork Helper',
    role: 'helper',
    path: '/opt/Upwork/upwork',
    command: null,
    version: null,
    cpuPercent: 1,
    ...over,
  };
}

export function procs(tracker: TrackerProcess[], windowSec = 3): ProcessesFacts {
  return { windowSec, cores: 4, method: '/proc/<pid>/stat utime+stime delta', tracker };
}
