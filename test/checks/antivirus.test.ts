import { describe, expect, it } from 'vitest';
import { antivirus, tlsIssuers } from '../../src/checks/antivirus.js';
import { createTestContext } from '../../src/core/context.js';
import type { Facts } from '../../src/core/facts.js';
import { collected } from '../../src/core/facts.js';
import type { SecurityFacts, SecurityProduct, UploadErrors } from '../../src/facts/security.js';
import { productsFromProcessNames, securityCollector } from '../../src/facts/security.js';
import type { ScreenFacts } from '../../src/facts/screen.js';
import { collect, fakeExec, fixture } from '../facts/os-helpers.js';
import { makeFacts, missing } from '../helpers/facts.js';
import { windowsFacts } from './os-facts.js';

const noErrors: UploadErrors = {
  logsDir: '/d/Upwork/Logs',
  filesScanned: [],
  counts: { tls: 0, reset: 0, blocked: 0, 'proxy-403': 0 },
  samples: [],
};
const withErrors: UploadErrors = {
  ...noErrors,
  filesScanned: ['/d/Upwork/Logs/upwork.log'],
  counts: { tls: 0, reset: 3, blocked: 0, 'proxy-403': 0 },
  samples: [{ file: '/d/Upwork/Logs/upwork.log', kind: 'reset', line: 'upload failed: read ECONNRESET' }],
};
const sec = (
  products: SecurityProduct[],
  uploadErrors = noErrors,
  over: Partial<SecurityFacts> = {},
): SecurityFacts => ({
  products,
  productsError: null,
  defender: null,
  exclusions: null,
  defenderEvents: null,
  uploadErrors,
  ...over,
});
const blackScreen: ScreenFacts = {
  macPermission: null,
  linuxSession: null,
  screenshots: {
    folder: '/d',
    found: 1,
    analysed: [
      {
        file: '/d/a.png',
        modifiedAt: '2026-11-18T09:00:00.000Z',
        bytes: 9,
        width: 1,
        height: 1,
        blackRatio: 1,
        meanLuma: 0,
        verdict: 'black',
      },
    ],
  },
};
/** A `tls` fact shaped like the network room's (read loosely by the check). */
const tlsFact = (issuer: string) =>
  collected({ endpoints: [{ host: 'www.upwork.com', interception: { intercepted: true, issuer } }] });
const withTls = (f: Facts, issuer: string): Facts => ({
  ...f,
  items: { ...f.items, tls: tlsFact(issuer) } as unknown as Facts['items'],
});

async function macSecurity(): Promise<SecurityFacts> {
  const ctx = createTestContext({
    platform: 'darwin',
    exec: fakeExec({ ps: { stdout: fixture('darwin', 'ps-sample1.txt') } }),
  });
  return (await collect(securityCollector, ctx)).value;
}
const eset = productsFromProcessNames(['esets_daemon']);
const clam = productsFromProcessNames(['clamd']);
const win = async (
  batch: string,
  over: (s: SecurityFacts) => SecurityFacts = (s) => s,
  screen?: ScreenFacts,
) => {
  const f = await windowsFacts(batch);
  const s = (f.items.security as { value: SecurityFacts }).value;
  return makeFacts({ security: over(s), ...(screen ? { screen } : {}) }, { platform: 'win32' });
};

type Row = [string, () => Promise<Facts> | Facts, string, string];
const table: Row[] = [
  // Windows, from recorded SecurityCenter2 output
  ['win32: Defender only, quiet logs', () => win('batch-clean.json'), 'pass', 'UWD-AV-001'],
  [
    'win32: ESET active and uploads reset',
    () => win('batch-duplicates.json', (s) => ({ ...s, uploadErrors: withErrors })),
    'warn',
    'UWD-AV-004',
  ],
  [
    'win32: ESET active and black screenshots',
    () => win('batch-duplicates.json', (s) => s, blackScreen),
    'warn',
    'UWD-AV-004',
  ],
  [
    "win32: ESET re-signs the tracker's TLS",
    async () =>
      withTls(await win('batch-duplicates.json'), 'CN=ESET SSL Filter CA, O=ESET spol. s r. o., C=SK'),
    'fail',
    'UWD-AV-003',
  ],
  [
    'win32: Defender quarantined the Helper (1117) and blocked the app (1123)',
    () => win('batch-defender-blocked.json'),
    'fail',
    'UWD-AV-006',
  ],
  [
    'win32: an audit-only ASR event (1122) is evidence, not a block',
    () =>
      win('batch-clean.json', (s) => ({
        ...s,
        defenderEvents: [
          {
            id: 1122,
            time: '2026-11-17T10:00:00Z',
            message:
              'Microsoft Defender Exploit Guard audited an operation that is not allowed by your IT administrator.\r\n Path: C:\\Program Files\\Upwork\\Upwork.exe',
          },
        ],
      })),
    'pass',
    'UWD-AV-001',
  ],
  ['win32: Security Center unreadable (Server)', () => win('batch-server.json'), 'skip', 'UWD-AV-005'],
  [
    'win32: not collected',
    () => makeFacts({ security: missing('timeout') }, { platform: 'win32' }),
    'timeout',
    'UWD-AV-000',
  ],
  // macOS, from the recorded process list
  [
    'darwin: ESET running, quiet logs',
    async () => makeFacts({ security: await macSecurity() }, { platform: 'darwin' }),
    'pass',
    'UWD-AV-001',
  ],
  [
    'darwin: ESET running and uploads reset',
    async () =>
      makeFacts({ security: { ...(await macSecurity()), uploadErrors: withErrors } }, { platform: 'darwin' }),
    'warn',
    'UWD-AV-004',
  ],
  [
    'darwin: ESET intercepting TLS',
    async () =>
      withTls(makeFacts({ security: await macSecurity() }, { platform: 'darwin' }), 'CN=ESET SSL Filter CA'),
    'fail',
    'UWD-AV-003',
  ],
  [
    'darwin: not collected',
    () => makeFacts({ security: missing('error') }, { platform: 'darwin' }),
    'skip',
    'UWD-AV-000',
  ],
  // Linux
  ['linux: nothing found', () => makeFacts({ security: sec([]) }), 'pass', 'UWD-AV-002'],
  ['linux: ClamAV running, quiet', () => makeFacts({ security: sec(clam) }), 'pass', 'UWD-AV-001'],
  [
    'linux: ClamAV running and uploads reset',
    () => makeFacts({ security: sec(clam, withErrors) }),
    'warn',
    'UWD-AV-004',
  ],
  [
    "linux: Kaspersky root on the tracker's TLS, product not seen",
    () => withTls(makeFacts({ security: sec([]) }), 'CN=Kaspersky Anti-Virus Personal Root Certificate'),
    'fail',
    'UWD-AV-003',
  ],
  [
    'linux: a public CA is not interception',
    () =>
      withTls(
        makeFacts({ security: sec(eset) }),
        'CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc, C=US',
      ),
    'pass',
    'UWD-AV-001',
  ],
  ['linux: not collected', () => makeFacts({ security: missing('error') }), 'skip', 'UWD-AV-000'],
];

describe('antivirus', () => {
  it.each(table)('%s → %s %s', async (_name, facts, status, code) => {
    const f = await antivirus.run(await facts());
    expect(f.status).toBe(status);
    expect(f.code).toBe(code);
    if (status === 'warn' || status === 'fail') {
      expect(f.remediation?.fixIds).toContain('antivirus-exclusion');
      expect(f.remediation?.text).toMatch(/Keep .* on/);
      expect(f.remediation?.text).not.toMatch(/disable|turn off/i);
    }
  });

  it('TLS interception names the installed product and the issuer, and offers to upload the cache after', async () => {
    const f = await antivirus.run(withTls(await win('batch-duplicates.json'), 'CN=ESET SSL Filter CA'));
    expect(f.summary).toMatch(
      /^ESET Security is intercepting the tracker's secure connections \(certificate issued by "CN=ESET SSL Filter CA"\)/,
    );
    expect(f.remediation?.fixIds).toEqual(['antivirus-exclusion', 'cache-upload']);
    expect(f.evidence).toMatchObject({
      tlsInterception: [{ issuer: 'CN=ESET SSL Filter CA', who: { vendor: 'ESET' } }],
    });
  });

  it('details show the decoded productState and that Defender exclusions need an administrator', async () => {
    const f = await antivirus.run(await win('batch-duplicates.json'));
    const d = f.details!.join('\n');
    expect(d).toMatch(/Windows Defender: off \(productState 393472 = 0x060100\)/);
    expect(d).toMatch(/ESET Security: on .*ecmds\.exe/);
    expect(d).toMatch(/Defender exclusions: not collected \(needs-admin\)/);
  });

  it('a Defender quarantine names the event and points at Protection history, never at turning Defender off', async () => {
    const f = await antivirus.run(await win('batch-defender-blocked.json'));
    expect(f.summary).toMatch(
      /^Microsoft Defender quarantined or removed part of Upwork \(event 1117 at 2026-11-17T15:02:41/,
    );
    expect(f.remediation?.text).toMatch(/Protection history/);
    expect(f.details!.join('\n')).toMatch(
      /Defender event 1123 at .*: Controlled Folder Access blocked C:\\Program Files\\Upwork\\Upwork\.exe/,
    );
    expect(f.evidence).toMatchObject({ defenderEvents: [{ id: 1117 }, { id: 1123 }] });
  });

  it('upload errors are quoted as evidence', async () => {
    const f = await antivirus.run(makeFacts({ security: sec(clam, withErrors) }));
    expect(f.details!.join('\n')).toMatch(/3 reset[\s\S]*read ECONNRESET/);
    expect(f.evidence).toMatchObject({ uploadErrors: { counts: { reset: 3 } } });
  });

  it('tlsIssuers reads any issuer field of the tls fact, and nothing when it is absent or not collected', () => {
    expect(tlsIssuers(withTls(makeFacts({}), 'CN=X'))).toEqual(['CN=X']);
    expect(tlsIssuers(makeFacts({}))).toEqual([]);
    expect(tlsIssuers({ ...makeFacts({}), items: { tls: missing('timeout') } as Facts['items'] })).toEqual(
      [],
    );
  });
});
