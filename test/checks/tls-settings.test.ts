import { describe, expect, it } from 'vitest';
import { decodeSecureProtocols, tlsSettings } from '../../src/checks/tls-settings.js';
import type { TlsFacts, WindowsTlsJson } from '../../src/facts/tls.js';
import { parseWindowsTls } from '../../src/facts/tls.js';
import { winSection } from '../facts/os-helpers.js';
import { makeFacts, missing } from '../helpers/facts.js';

const chain = [
  {
    subject: 'CN=www.upwork.com',
    issuer: 'CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1, O=DigiCert Inc',
    validFrom: '2026-01-01T00:00:00.000Z',
    validTo: '2027-01-01T00:00:00.000Z',
    fingerprint256: 'AA',
    selfSigned: false,
  },
];
const ok: TlsFacts = {
  url: 'https://www.upwork.com/',
  host: 'www.upwork.com',
  port: 443,
  reached: true,
  message: 'All stages passed',
  protocol: 'TLSv1.3',
  cipher: 'TLS_AES_128_GCM_SHA256',
  authorizedNode: true,
  authorizedOs: true,
  chain,
};
// The Windows rows come through the one batched PowerShell call, as the collector reads them.
const win = async (name: string) =>
  parseWindowsTls((await winSection('tlsSettings', { tls: name })) as WindowsTlsJson).settings;
const winDefault = await win('tls-settings-default.json');

const cases: [string, TlsFacts, string, string][] = [
  ['handshake ok', ok, 'pass', 'UWD-TLS-001'],
  ['OS store disagrees', { ...ok, authorizedOs: false }, 'warn', 'UWD-TLS-008'],
  [
    'TLS 1.1 only',
    {
      ...ok,
      protocol: undefined,
      authorizedNode: undefined,
      failedStage: 'tls',
      serverProtocol: 'TLSv1.1',
      errorCode: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
      message: 'only speaks TLSv1.1',
    },
    'fail',
    'UWD-TLS-002',
  ],
  [
    'intercepted by Avast',
    {
      ...ok,
      authorizedNode: false,
      failedStage: 'tls',
      interception: {
        detected: true,
        issuer: 'CN=Avast Web/Mail Shield Root',
        vendor: 'Avast',
        product: 'Avast Web/Mail Shield',
        kind: 'antivirus',
        evidence: ['x'],
        exemptHosts: ['www.upwork.com'],
      },
    },
    'fail',
    'UWD-TLS-003',
  ],
  [
    'expired certificate',
    {
      ...ok,
      authorizedNode: false,
      failedStage: 'tls',
      authorizationError: 'CERT_HAS_EXPIRED',
      message: 'expired',
    },
    'fail',
    'UWD-TLS-006',
  ],
  [
    'network dead',
    {
      url: ok.url,
      host: ok.host,
      port: 443,
      reached: false,
      failedStage: 'dns',
      message: 'DNS: does not resolve',
    },
    'skip',
    'UWD-TLS-007',
  ],
];

describe('tls-settings', () => {
  describe.each(['linux', 'darwin', 'win32'] as const)('on %s', (platform) => {
    const extra = platform === 'win32' ? { windows: winDefault } : {};
    it.each(cases)('%s → %s', async (_n, facts, status, code) => {
      const f = await tlsSettings.run(makeFacts({ tls: { ...facts, ...extra } }, { platform }));
      expect(f.status).toBe(status);
      expect(f.code).toBe(code);
      expect(f.evidence).toMatchObject({ url: ok.url });
    });
    it('not collected is never a pass', async () => {
      const f = await tlsSettings.run(makeFacts({ tls: missing('timeout') }, { platform }));
      expect(f.status).toBe('timeout');
    });
  });

  it('Windows: TLS 1.2 off by machine policy fails even when the handshake passes', async () => {
    const f = await tlsSettings.run(
      makeFacts(
        { tls: { ...ok, windows: await win('tls-settings-tls12-off-policy.json') } },
        { platform: 'win32' },
      ),
    );
    expect(f).toMatchObject({ status: 'fail', code: 'UWD-TLS-004' });
    expect(f.summary).toMatch(/machine policy, 0x280/);
    expect(f.remediation?.fixIds).toEqual(['tls-protocols']);
  });

  it('Windows: SCHANNEL TLS 1.2 client disabled fails', async () => {
    const f = await tlsSettings.run(
      makeFacts(
        { tls: { ...ok, windows: await win('tls-settings-schannel-tls12-off.json') } },
        { platform: 'win32' },
      ),
    );
    expect(f).toMatchObject({ status: 'fail', code: 'UWD-TLS-005' });
  });

  it('decodes SecureProtocols bits (never trusts labels: 2688 is 0xA80, no TLS 1.3)', () => {
    expect(decodeSecureProtocols(2688)).toEqual(['TLS 1.0', 'TLS 1.1', 'TLS 1.2']);
    expect(decodeSecureProtocols(0x2800)).toEqual(['TLS 1.2', 'TLS 1.3']);
    expect(winDefault.secureProtocols.user).toBe(10880);
    expect(decodeSecureProtocols(10880)).toEqual(['TLS 1.0', 'TLS 1.1', 'TLS 1.2', 'TLS 1.3']);
  });
});
