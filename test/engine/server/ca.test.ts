import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { caDir, CA_SUBJECT_CN, ensureCa, ensureServerCert } from '../../../src/engine/ca.js';

const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await fsp.mkdtemp(path.join(os.tmpdir(), 'uwd-ca-test-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => fsp.rm(d, { recursive: true, force: true })));
});

const haveOpenssl = existsSync('/usr/bin/openssl') || existsSync('/usr/local/bin/openssl');

describe('local CA', () => {
  it('is generated once, cached in <data>/engine/ca/, and reused', async () => {
    const data = await tmp();
    const first = await ensureCa(data);
    expect(first.certPath).toBe(path.join(data, 'engine', 'ca', 'ca.pem'));
    const cert = new X509Certificate(first.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toContain(`CN=${CA_SUBJECT_CN}`);
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const keyMode = (await fsp.stat(path.join(caDir(data), 'ca-key.pem'))).mode & 0o777;
    if (process.platform !== 'win32') expect(keyMode).toBe(0o600);
    const started = performance.now();
    const second = await ensureCa(data);
    expect(performance.now() - started).toBeLessThan(200);
    expect(second.certPem).toBe(first.certPem);
  });

  it('issues a server certificate for localhost, 127.0.0.1 and ::1 that chains to the CA', async () => {
    const data = await tmp();
    const { certPem, ca } = await ensureServerCert(data);
    const cert = new X509Certificate(certPem);
    const caCert = new X509Certificate(ca.certPem);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('::1')).toBeDefined();
    expect(cert.checkHost('example.com')).toBeUndefined();
    expect((await ensureServerCert(data)).certPem).toBe(certPem);
  });

  it.skipIf(!haveOpenssl && !process.env.CI)('passes `openssl verify` for TLS server use', async () => {
    const data = await tmp();
    await ensureServerCert(data);
    const dir = caDir(data);
    const out = execFileSync(
      'openssl',
      ['verify', '-purpose', 'sslserver', '-CAfile', path.join(dir, 'ca.pem'), path.join(dir, 'server.pem')],
      {
        encoding: 'utf8',
      },
    );
    expect(out.trim()).toMatch(/: OK$/);
  });

  it('replaces a CA whose key no longer matches, and reissues the server certificate', async () => {
    const data = await tmp();
    const first = await ensureServerCert(data);
    const other = await tmp();
    await ensureCa(other);
    await fsp.copyFile(path.join(caDir(other), 'ca-key.pem'), path.join(caDir(data), 'ca-key.pem'));
    const again = await ensureServerCert(data);
    expect(again.ca.certPem).not.toBe(first.ca.certPem);
    expect(new X509Certificate(again.certPem).checkIssued(new X509Certificate(again.ca.certPem))).toBe(true);
  });

  it('renews a CA that is about to expire', async () => {
    const data = await tmp();
    const longAgo = Date.now() - 3640 * 86_400_000;
    const old = await ensureCa(data, longAgo);
    const fresh = await ensureCa(data);
    expect(fresh.certPem).not.toBe(old.certPem);
  });
});
