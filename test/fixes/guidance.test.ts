/** Fixes that only guide (the doctor must not change these itself): facts in, steps out, per OS. */
import { describe, expect, it } from 'vitest';
import { antivirusExclusion } from '../../src/fixes/antivirus-exclusion.js';
import type { Step } from '../../src/fixes/fix.js';
import { MAC_SCREEN_PANE, screenRecordingFix } from '../../src/fixes/screen-recording.js';
import type { ScreenFacts } from '../../src/facts/screen.js';
import type { SecurityFacts, SecurityProduct } from '../../src/facts/security.js';
import { makeFacts } from '../helpers/facts.js';

const manual = (s: Step[]) => s.map((x) => (x.action.kind === 'manual' ? x.action : undefined));

const screen = (over: Partial<ScreenFacts>): ScreenFacts => ({
  macPermission: null,
  linuxSession: null,
  screenshots: { folder: '/x', found: 0, analysed: [] },
  ...over,
});

describe('screen-recording fix', () => {
  it.each([
    [
      'darwin',
      screen({ macPermission: { state: 'collected', db: '/tcc', schema: 'auth_value', rows: [] } }),
      MAC_SCREEN_PANE,
      /restart|reopen|open it again/i,
    ],
    [
      'linux',
      screen({
        linuxSession: { sessionType: 'wayland', desktop: 'GNOME' },
      }),
      undefined,
      /only in an Xorg session[\s\S]*"Ubuntu on Xorg"[\s\S]*"Plasma \(X11\)"/,
    ],
    [
      'linux',
      screen({ linuxSession: { sessionType: 'x11', desktop: 'GNOME' } }),
      undefined,
      /start it again/,
    ],
    ['win32', screen({}), undefined, /start it again/],
  ] as const)('%s: only guidance, the right pane, and the restart', (platform, s, pane, says) => {
    const steps = screenRecordingFix.plan(makeFacts({ screen: s }, { platform }));
    expect(steps.length).toBeGreaterThan(0);
    const acts = manual(steps);
    expect(acts.every(Boolean)).toBe(true);
    expect(acts.find((a) => a?.open)?.open?.target).toBe(pane);
    expect(acts.flatMap((a) => a!.lines).join('\n')).toMatch(says);
  });

  it('linux on Wayland: Xorg advice only, never a portal or PipeWire', () => {
    const s = screen({
      linuxSession: { sessionType: 'wayland', desktop: 'GNOME' },
    });
    const text = JSON.stringify(screenRecordingFix.plan(makeFacts({ screen: s }, { platform: 'linux' })));
    expect(text).toMatch(/Xorg/);
    expect(text).not.toMatch(/portal|pipewire|apt install/i);
  });

  it('macOS: reset the stale grant with tccutil, grant again, then restart', () => {
    const s = screen({
      macPermission: {
        state: 'collected',
        db: '/tcc',
        schema: 'auth_value',
        rows: [
          { client: 'com.upwork.Upwork', clientType: 0, authValue: 0, authReason: null, lastModified: null },
        ],
      },
    });
    const acts = manual(screenRecordingFix.plan(makeFacts({ screen: s }, { platform: 'darwin' })));
    expect(acts[0]?.command).toBe('tccutil reset ScreenCapture com.upwork.Upwork');
    expect(acts[1]?.open?.target).toBe(MAC_SCREEN_PANE);
    expect(acts.flatMap((a) => a!.lines).join(' ')).toMatch(/turn Upwork on.*quit Upwork.*open it again/);
  });
});

const product = (
  name: string,
  vendor: string | null,
  state: SecurityProduct['state'] = 'on',
): SecurityProduct => ({
  name,
  vendor,
  source: 'securitycenter2',
  state,
  upToDate: true,
  productState: null,
  productStateHex: null,
  evidence: [],
});
const security = (products: SecurityProduct[]): SecurityFacts => ({
  products,
  productsError: null,
  defenderEvents: null,
  defender: null,
  exclusions: null,
  uploadErrors: {
    logsDir: '/l',
    filesScanned: [],
    counts: { tls: 0, reset: 0, blocked: 0, 'proxy-403': 0 },
    samples: [],
  },
});

describe('antivirus-exclusion fix', () => {
  const target = {
    kind: 'installed' as const,
    dataDir: 'C:\\Users\\t\\AppData\\Local\\Upwork',
    found: true,
    installDirs: ['C:\\Program Files\\Upwork'],
    reason: 't',
  };

  it('Windows Defender: the exact Add-MpPreference command (needs admin) and its settings pane', () => {
    const steps = antivirusExclusion.plan(
      makeFacts(
        { security: security([product('Microsoft Defender Antivirus', 'Microsoft')]) },
        { platform: 'win32', target },
      ),
    );
    const [a] = manual(steps);
    expect(a).toMatchObject({ reason: 'needs-admin', open: { target: 'windowsdefender://threatsettings' } });
    expect(a!.command).toBe(
      'Add-MpPreference -ExclusionPath "C:\\Program Files\\Upwork" -ExclusionPath "C:\\Users\\t\\AppData\\Local\\Upwork" -ExclusionProcess "Upwork.exe"',
    );
    expect(a!.lines.join('\n')).toContain('*.upwork.com');
  });

  it('one step per active product, none for inactive ones, and never a change', () => {
    const steps = antivirusExclusion.plan(
      makeFacts(
        {
          security: security([
            product('ESET Security', 'ESET'),
            product('Avast', 'Avast', 'off'),
            product('Kaspersky', 'Kaspersky', 'running'),
          ]),
        },
        { platform: 'linux' },
      ),
    );
    expect(steps.map((s) => s.title)).toEqual([
      'Add an exclusion for Upwork in ESET Security',
      'Add an exclusion for Upwork in Kaspersky',
      'Upload the cached time, then check again',
    ]);
    expect(steps.every((s) => s.action.kind === 'manual')).toBe(true);
    expect(manual(steps)[0]!.lines.join('\n')).toMatch(/processes: upwork$/m);
    expect(JSON.stringify(steps)).not.toMatch(/Upwork Helper/);
  });

  it('process names per OS: one executable on Windows and Linux, the helper apps only on macOS', () => {
    const names = (platform: 'win32' | 'darwin' | 'linux') =>
      manual(
        antivirusExclusion.plan(
          makeFacts({ security: security([product('ESET Security', 'ESET')]) }, { platform }),
        ),
      )[0]!.lines.find((l) => l.includes('processes:'));
    expect(names('win32')).toBe('  processes: Upwork.exe');
    expect(names('linux')).toBe('  processes: upwork');
    expect(names('darwin')).toBe(
      '  processes: Upwork; Upwork Helper; Upwork Helper (GPU); Upwork Helper (Renderer); Upwork Helper (Plugin)',
    );
  });

  it("Webroot on Windows: Upwork's own advice, labelled as Upwork's", () => {
    const lines = (platform: 'win32' | 'linux') =>
      manual(
        antivirusExclusion.plan(
          makeFacts(
            { security: security([product('Webroot SecureAnywhere', 'Webroot')]) },
            { platform, target },
          ),
        ),
      )[0]!.lines.join('\n');
    expect(lines('win32')).toContain(
      "Upwork's advice for Webroot (help center, Troubleshooting): allow upwork.exe under Identity Protection.",
    );
    expect(lines('linux')).not.toContain('Webroot (help center');
  });

  it('nothing active: no steps', () => {
    expect(
      antivirusExclusion.plan(makeFacts({ security: security([product('Avast', 'Avast', 'off')]) })),
    ).toEqual([]);
    expect(antivirusExclusion.plan(makeFacts({}))).toEqual([]);
  });
});
