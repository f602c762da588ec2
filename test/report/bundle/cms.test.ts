import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { CmsEncryptStream, decryptCmsFile, loadRecipient } from '../../../src/report/bundle/cms.js';
import { tempDir } from '../../helpers/cli.js';
import { makeCert } from './certs.js';

async function encryptTo(certFile: string, data: Buffer, out: string, chunk = 7777): Promise<void> {
  const recipient = await loadRecipient(readFileSync(certFile), certFile);
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) parts.push(data.subarray(i, i + chunk));
  await pipeline(Readable.from(parts), new CmsEncryptStream(recipient), createWriteStream(out));
}

async function decryptWith(keyFile: string, file: string, out: string): Promise<void> {
  const ws = createWriteStream(out);
  await decryptCmsFile(file, readFileSync(keyFile), ws);
  await new Promise<void>((r) => ws.end(r));
}

describe('CMS EnvelopedData', () => {
  it('openssl cms -decrypt reads what the stream writes (several sizes)', async () => {
    const dir = tempDir();
    const { cert, key } = makeCert(dir, 'support');
    for (const size of [0, 1, 15, 16, 17, 100_000, 1_234_567]) {
      const data = crypto.randomBytes(size);
      const p7m = path.join(dir, `b${size}.p7m`);
      await encryptTo(cert, data, p7m);
      const out = path.join(dir, `b${size}.out`);
      execFileSync('openssl', ['cms', '-decrypt', '-inform', 'DER', '-in', p7m, '-inkey', key, '-out', out]);
      expect(readFileSync(out).equals(data), `size ${size}`).toBe(true);
      const mine = path.join(dir, `b${size}.mine`);
      await decryptWith(key, p7m, mine);
      expect(readFileSync(mine).equals(data)).toBe(true);
    }
  });

  it('reads what openssl writes (definite-length DER, PKCS#1 v1.5 key transport)', async () => {
    const dir = tempDir();
    const { cert, key } = makeCert(dir, 'support');
    const data = crypto.randomBytes(50_000);
    writeFileSync(path.join(dir, 'in'), data);
    execFileSync('openssl', [
      'cms',
      '-encrypt',
      '-binary',
      '-aes256',
      '-outform',
      'DER',
      '-in',
      path.join(dir, 'in'),
      '-out',
      path.join(dir, 'o.p7m'),
      cert,
    ]);
    await decryptWith(key, path.join(dir, 'o.p7m'), path.join(dir, 'o.out'));
    expect(readFileSync(path.join(dir, 'o.out')).equals(data)).toBe(true);
  });

  it('a wrong key, a truncated file and a non-certificate get clear errors', async () => {
    const dir = tempDir();
    const { cert } = makeCert(dir, 'support');
    const other = makeCert(dir, 'other');
    const p7m = path.join(dir, 'b.p7m');
    await encryptTo(cert, crypto.randomBytes(10_000), p7m);
    await expect(decryptWith(other.key, p7m, path.join(dir, 'x'))).rejects.toThrow(/wrong key/);
    const full = readFileSync(p7m);
    writeFileSync(path.join(dir, 't.p7m'), full.subarray(0, full.length - 500));
    const { key } = { key: path.join(dir, 'support.key') };
    await expect(decryptWith(key, path.join(dir, 't.p7m'), path.join(dir, 'y'))).rejects.toThrow(/truncated/);
    await expect(loadRecipient(Buffer.from('hello'), 'x.pem')).rejects.toThrow(/not an X\.509 certificate/);
  });
});
