import { describe, expect, it } from 'vitest';
import { copyKey, helperCpu } from '../../src/checks/helper-cpu.js';
import type { Facts } from '../../src/core/facts.js';
import { makeFacts, missing } from '../helpers/facts.js';
import { macProcesses, proc, procs, windowsFacts } from './os-facts.js';

type Row = [string, () => Promise<Facts> | Facts, string, string];

const linux = (p: ReturnType<typeof procs>) => makeFacts({ processes: p }, { platform: 'linux' });
const mac = (p: ReturnType<typeof procs>) => makeFacts({ processes: p }, { platform: 'darwin' });

const table: Row[] = [
  // Windows, from recorded PowerShell output
  ['win32: app and helper idle', () => windowsFacts('batch-clean.json'), 'pass', 'UWD-CPU-001'],
  ['win32: helper at 97 % of a core', () => windowsFacts('batch-busy-helper.json'), 'fail', 'UWD-CPU-003'],
  ['win32: 5.8 and 5.6 running at once', () => windowsFacts('batch-duplicates.json'), 'fail', 'UWD-CPU-004'],
  [
    'win32: renderer busy half the window (sampled across it)',
    () => windowsFacts('batch-busy-renderer-samples.json'),
    'warn',
    'UWD-CPU-002',
  ],
  [
    'win32: helper at 40 %',
    () =>
      makeFacts(
        {
          processes: procs([
            proc({ name: 'Upwork.exe', role: 'renderer', cpuPercent: 40, version: '5.8.0.33' }),
          ]),
        },
        { platform: 'win32' },
      ),
    'warn',
    'UWD-CPU-002',
  ],
  [
    'win32: not collected (PowerShell blocked)',
    () => makeFacts({ processes: missing('error') }, { platform: 'win32' }),
    'skip',
    'UWD-CPU-000',
  ],
  // macOS, from two recorded ps samples
  ['darwin: GPU helper busy', async () => mac(await macProcesses()), 'fail', 'UWD-CPU-003'],
  [
    'darwin: helper at 30 %',
    () => mac(procs([proc({ cpuPercent: 30, path: '/Applications/Upwork.app/Contents/MacOS/Upwork' })])),
    'warn',
    'UWD-CPU-002',
  ],
  ['darwin: idle', () => mac(procs([proc({ cpuPercent: 0.3 })])), 'pass', 'UWD-CPU-001'],
  [
    'darwin: not collected (timeout)',
    () => makeFacts({ processes: missing('timeout') }, { platform: 'darwin' }),
    'timeout',
    'UWD-CPU-000',
  ],
  // Linux
  [
    'linux: 25 % exactly is still a pass',
    () => linux(procs([proc({ cpuPercent: 25 })])),
    'pass',
    'UWD-CPU-001',
  ],
  ['linux: 25.1 % warns', () => linux(procs([proc({ cpuPercent: 25.1 })])), 'warn', 'UWD-CPU-002'],
  ['linux: 60 % warns', () => linux(procs([proc({ cpuPercent: 60 })])), 'warn', 'UWD-CPU-002'],
  ['linux: 60.1 % fails', () => linux(procs([proc({ cpuPercent: 60.1 })])), 'fail', 'UWD-CPU-003'],
  [
    'linux: two install folders running',
    () =>
      linux(
        procs([
          proc({ role: 'app', path: '/opt/Upwork/upwork' }),
          proc({ pid: 5, role: 'app', path: '/home/u/Applications/squashfs-root/upwork' }),
        ]),
      ),
    'fail',
    'UWD-CPU-004',
  ],
  ['linux: not running', () => linux(procs([])), 'skip', 'UWD-CPU-005'],
  [
    'linux: process ended during the window',
    () => linux(procs([proc({ cpuPercent: null })])),
    'skip',
    'UWD-CPU-006',
  ],
  ['linux: not collected (error)', () => makeFacts({ processes: missing('error') }), 'skip', 'UWD-CPU-000'],
];

it('win32: the verdict names the samples taken across the window', async () => {
  const f = helperCpu.run(await windowsFacts('batch-busy-renderer-samples.json'));
  expect(f.details!.join('\n')).toMatch(/Measured over 3\.17 s .*, 12 samples\)/);
});

describe('helper-cpu', () => {
  it.each(table)('%s → %s %s', async (_name, facts, status, code) => {
    const f = await helperCpu.run(await facts());
    expect(f.status).toBe(status);
    expect(f.code).toBe(code);
    if (status === 'pass' || status === 'warn' || status === 'fail') {
      expect(f.evidence).toMatchObject({ unit: '% of one core', warnOver: 25, failOver: 60 });
      expect(f.evidence!.method).toBeTruthy();
    }
  });

  it('names the busy process and offers the GPU restart fix with the documented Mac command', async () => {
    const f = await helperCpu.run(mac(await macProcesses()));
    expect(f.summary).toMatch(/Upwork Helper \(GPU\) used 96 % of a CPU core for 3 s/);
    expect(f.remediation?.fixIds).toEqual(['helper-restart-gpu']);
    expect(f.remediation?.commands).toContain('open -a Upwork --args --enable-gpu');
  });

  it("advice per OS: the Helper and --enable-gpu only on macOS, labelled as Upwork's; elsewhere quit and restart the app by pid", async () => {
    const macF = await helperCpu.run(mac(await macProcesses()));
    expect(macF.remediation?.text).toMatch(/^Upwork's advice for a busy Upwork Helper on macOS/);
    const busyRenderer = [
      proc({ pid: 10, name: 'upwork', role: 'app', path: '/opt/Upwork/upwork', cpuPercent: 1 }),
      proc({ pid: 11, name: 'upwork', role: 'renderer', path: '/opt/Upwork/upwork', cpuPercent: 95 }),
    ];
    const lin = await helperCpu.run(linux(procs(busyRenderer)));
    expect(lin).toMatchObject({ status: 'fail', code: 'UWD-CPU-003' });
    expect(lin.summary).toMatch(/^upwork used 95 %/);
    expect(lin.remediation?.commands).toEqual(['kill 10', '/opt/Upwork/upwork &']);
    const win = await helperCpu.run(
      makeFacts(
        {
          processes: procs(
            busyRenderer.map((p) => ({
              ...p,
              name: 'Upwork.exe',
              path: 'C:\\Program Files\\Upwork\\Upwork.exe',
            })),
          ),
        },
        { platform: 'win32' },
      ),
    );
    expect(win.remediation?.commands).toEqual([
      'taskkill /PID 10 /T',
      'start "" "C:\\Program Files\\Upwork\\Upwork.exe"',
    ]);
    for (const f of [lin, win]) expect(JSON.stringify(f.remediation)).not.toMatch(/Helper|enable-gpu|pkill/);
  });

  it('name-alikes elsewhere are mentioned, never measured', async () => {
    const p = {
      ...procs([proc({ name: 'upwork', role: 'app', cpuPercent: 2 })]),
      ignored: [{ pid: 77, name: 'upwork', path: '/tmp/x/upwork' }],
      scope: { installDirs: ['/opt/Upwork'], enginePids: [], how: ['install folder /opt/Upwork'] },
    };
    const f = await helperCpu.run(linux(p));
    expect(f).toMatchObject({ status: 'pass' });
    expect(f.details).toContain(
      'Not the tracker, ignored: upwork (pid 77, /tmp/x/upwork) has its name but runs from elsewhere.',
    );
    const none = await helperCpu.run(linux({ ...p, tracker: [] }));
    expect(none.summary).toMatch(/1 process\(es\) with its name run from elsewhere and were ignored/);
  });

  it('two copies: names both and points at the duplicates fix', async () => {
    const f = await helperCpu.run(await windowsFacts('batch-duplicates.json'));
    expect(f.summary).toMatch(/version 5\.8\.0\.33; version 5\.6\.10\.1/);
    expect(f.remediation?.fixIds).toEqual(['duplicates']);
  });

  it('copyKey: version first, then the .app bundle or the folder', () => {
    expect(copyKey({ version: '1.2', path: '/x/y' })).toBe('version 1.2');
    expect(
      copyKey({
        version: null,
        path: '/Applications/Upwork.app/Contents/Frameworks/Upwork Helper.app/Contents/MacOS/Upwork Helper',
      }),
    ).toBe('/Applications/Upwork.app');
    expect(copyKey({ version: null, path: 'C:\\Program Files\\Upwork\\Upwork.exe' })).toBe(
      'C:\\Program Files\\Upwork',
    );
    expect(copyKey({ version: null, path: null })).toBeUndefined();
  });
});
