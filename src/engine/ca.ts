/**
 * The local certificate authority of the reference work-diary server. The server speaks real HTTPS
 * on loopback so the tracker and the doctor's TLS probes exercise real handshakes; the CA is
 * generated once and cached in `<data>/engine/ca/` because RSA key generation is the slowest thing
 * the engine does.
 *
 * Keys come from node:crypto (fast, native); node-forge only builds and signs the X.509
 * certificates, and is loaded lazily so `--help` never pays for it.
 */
import { createPublicKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './server/atomic.js';

export interface LocalCa {
  certPem: string;
  keyPem: string;
  /** Absolute path of ca.pem: what a client passes as `ca`. */
  certPath: string;
}

export interface ServerCert {
  certPem: string;
  keyPem: string;
  ca: LocalCa;
}

export const CA_SUBJECT_CN = 'upwork-doctor reference CA';
const DAY = 86_400_000;
const SERVER_HOSTS = ['localhost', '127.0.0.1', '::1'];

export function caDir(dataDir: string): string {
  return path.join(dataDir, 'engine', 'ca');
}

async function readIf(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function rsaKeyPair(): { publicPem: string; privatePem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { publicPem: publicKey, privatePem: privateKey };
}

/** A positive serial: a leading 0x01 byte keeps the DER integer from reading as negative. */
function serial(): string {
  return `01${randomBytes(15).toString('hex')}`;
}

/** Whether a certificate (PEM) belongs to this private key and is valid at `now` for `marginMs` more. */
function usable(certPem: string, keyPem: string, now: number, marginMs: number): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const pub = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
    if (!cert.publicKey.export({ type: 'spki', format: 'der' }).equals(pub)) return false;
    return Date.parse(cert.validFrom) <= now && Date.parse(cert.validTo) > now + marginMs;
  } catch {
    return false;
  }
}

/** Load the cached CA, or generate and cache one. `now` only sets the validity window. */
export async function ensureCa(dataDir: string, now: number = Date.now()): Promise<LocalCa> {
  const dir = caDir(dataDir);
  const certPath = path.join(dir, 'ca.pem');
  const keyPath = path.join(dir, 'ca-key.pem');
  const [certPem, keyPem] = await Promise.all([readIf(certPath), readIf(keyPath)]);
  if (certPem && keyPem && usable(certPem, keyPem, now, 30 * DAY)) return { certPem, keyPem, certPath };

  const forge = (await import('node-forge')).default;
  const { publicPem, privatePem } = rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now - DAY);
  cert.validity.notAfter = new Date(now + 3650 * DAY);
  const attrs = [
    { name: 'commonName', value: CA_SUBJECT_CN },
    { name: 'organizationName', value: 'upwork-doctor' },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privatePem), forge.md.sha256.create());
  const newCert = forge.pki.certificateToPem(cert);
  // Key first: a crash between the two writes leaves a cert/key mismatch, which the check above
  // detects and repairs on the next start; the reverse order could pair a new cert with an old key.
  await writeFileAtomic(keyPath, privatePem, 0o600);
  await writeFileAtomic(certPath, newCert);
  // A CA change invalidates the cached server certificate.
  await fsp.rm(path.join(dir, 'server.pem'), { force: true });
  return { certPem: newCert, keyPem: privatePem, certPath };
}

function issuedBy(certPem: string, ca: LocalCa): boolean {
  try {
    const cert = new X509Certificate(certPem);
    return (
      cert.verify(new X509Certificate(ca.certPem).publicKey) && SERVER_HOSTS.every((h) => covers(cert, h))
    );
  } catch {
    return false;
  }
}

function covers(cert: X509Certificate, host: string): boolean {
  return host.includes(':') || /^\d/.test(host)
    ? cert.checkIP(host) !== undefined
    : cert.checkHost(host) !== undefined;
}

/** The server's certificate for localhost/127.0.0.1/::1, issued by the local CA; cached beside it. */
export async function ensureServerCert(dataDir: string, now: number = Date.now()): Promise<ServerCert> {
  const ca = await ensureCa(dataDir, now);
  const dir = caDir(dataDir);
  const certPath = path.join(dir, 'server.pem');
  const keyPath = path.join(dir, 'server-key.pem');
  const [certPem, keyPem] = await Promise.all([readIf(certPath), readIf(keyPath)]);
  if (certPem && keyPem && usable(certPem, keyPem, now, DAY) && issuedBy(certPem, ca)) {
    return { certPem, keyPem, ca };
  }

  const forge = (await import('node-forge')).default;
  const { publicPem, privatePem } = rsaKeyPair();
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now - DAY);
  cert.validity.notAfter = new Date(now + 365 * DAY);
  cert.setSubject([{ name: 'commonName', value: 'localhost' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
      ],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  const newCert = forge.pki.certificateToPem(cert);
  await writeFileAtomic(keyPath, privatePem, 0o600);
  await writeFileAtomic(certPath, newCert);
  return { certPem: newCert, keyPem: privatePem, ca };
}
