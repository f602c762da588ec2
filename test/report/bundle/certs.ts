/** Test certificates, made with the openssl CLI (a standard tool, as a support team would). */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export function makeCert(dir: string, name: string, keyType = 'rsa:2048'): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.pem`);
  const key = path.join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      keyType,
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}
