/** Test PKI made with the openssl CLI at test time (nothing committed expires): CAs and leaves. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Cert {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

let dir: string | undefined;
function work(): string {
  if (!dir) {
    dir = mkdtempSync(path.join(os.tmpdir(), 'uwd-pki-'));
    process.on('exit', () => rmSync(dir!, { recursive: true, force: true }));
  }
  return dir;
}

let n = 0;
const ssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });

/** A self-signed CA with this subject, e.g. "/CN=Avast Web/Mail Shield Root/O=Avast". */
export function makeCa(subject: string): Cert {
  const d = work();
  const i = n++;
  const keyFile = path.join(d, `ca${i}.key`);
  const certFile = path.join(d, `ca${i}.pem`);
  ssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile]);
  ssl([
    'req',
    '-x509',
    '-new',
    '-key',
    keyFile,
    '-subj',
    subject,
    '-days',
    '30',
    '-out',
    certFile,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile, keyFile };
}

/** A leaf for `names` (DNS names or IPs) signed by `ca`. */
export function makeLeaf(ca: Cert, names: string[] = ['localhost', '127.0.0.1'], rsa = false): Cert {
  const d = work();
  const i = n++;
  const keyFile = path.join(d, `leaf${i}.key`);
  const csr = path.join(d, `leaf${i}.csr`);
  const certFile = path.join(d, `leaf${i}.pem`);
  const ext = path.join(d, `leaf${i}.ext`);
  if (rsa) ssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyFile]);
  else ssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile]);
  ssl(['req', '-new', '-key', keyFile, '-subj', `/CN=${names[0]}`, '-out', csr]);
  const san = names.map((x) => (/^[\d.]+$/.test(x) ? `IP:${x}` : `DNS:${x}`)).join(',');
  writeFileSync(ext, `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  ssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-CAcreateserial',
    '-days',
    '20',
    '-out',
    certFile,
    '-extfile',
    ext,
  ]);
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile, keyFile };
}

export function writeTemp(name: string, text: string): string {
  const f = path.join(work(), name);
  writeFileSync(f, text);
  return f;
}
