/**
 * Streaming CMS EnvelopedData (RFC 5652) for the bundle, so a support agent can decrypt it with a
 * standard tool: `openssl cms -decrypt -inform DER -in B.zip.p7m -inkey key.pem -out B.zip`.
 *
 * node-forge's PKCS#7 builds the whole message in memory; a bundle can be large, so here the
 * content key (AES-256-CBC) is generated locally, the zip is encrypted with Node's crypto as it is
 * produced, and the ciphertext is written as the chunks of a constructed, indefinite-length
 * OCTET STRING between a DER header (recipient info, built with node-forge's asn1) and the
 * end-of-contents octets. The content key is wrapped to the certificate's RSA key with RSAES-OAEP.
 *
 * The reader (`decryptCmsFile`) accepts both this BER form and openssl's definite-length DER.
 */
import crypto from 'node:crypto';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { Transform } from 'node:stream';
import type { TransformCallback, Writable } from 'node:stream';
import type * as NodeForge from 'node-forge';
import { UserError } from '../../core/errors.js';

const OID_ENVELOPED_DATA = '1.2.840.113549.1.7.3';
const OID_DATA = '1.2.840.113549.1.7.1';
const OID_AES256_CBC = '2.16.840.1.101.3.4.1.42';
const OID_RSAES_OAEP = '1.2.840.113549.1.1.7';
const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';

type Forge = typeof NodeForge;

async function loadForge(): Promise<Forge> {
  const mod = (await import('node-forge')) as unknown as { default?: Forge } & Forge;
  return mod.default ?? mod;
}

/** The recipient: the RSA public key and the issuer+serial that name the certificate. */
export interface Recipient {
  publicKey: crypto.KeyObject;
  /** DER of IssuerAndSerialNumber. */
  issuerAndSerial: Buffer;
  subject: string;
}

/** Read a PEM (or DER) certificate; anything else gets a one-line error. */
export async function loadRecipient(certBytes: Buffer, file: string): Promise<Recipient> {
  let x509: crypto.X509Certificate;
  try {
    x509 = new crypto.X509Certificate(certBytes);
  } catch {
    throw new UserError(
      `${file} is not an X.509 certificate (PEM or DER); --encrypt-to needs the support team's certificate.`,
    );
  }
  const publicKey = x509.publicKey;
  if (publicKey.asymmetricKeyType !== 'rsa') {
    throw new UserError(
      `${file} holds a ${publicKey.asymmetricKeyType ?? 'non-RSA'} key; --encrypt-to needs an RSA certificate.`,
    );
  }
  const forge = await loadForge();
  const der = Buffer.from(x509.raw);
  const cert = forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')));
  const tbs = (cert.value as NodeForge.asn1.Asn1[])[0];
  const fields = (tbs?.value ?? []) as NodeForge.asn1.Asn1[];
  // An explicit [0] version comes first in v3 certificates.
  const off = fields[0]?.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
  const serial = fields[off];
  const issuer = fields[off + 2];
  if (!serial || !issuer)
    throw new UserError(`${file}: cannot read the certificate's issuer and serial number.`);
  const ias = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [issuer, serial]);
  return {
    publicKey,
    issuerAndSerial: Buffer.from(forge.asn1.toDer(ias).getBytes(), 'binary'),
    subject: x509.subject.replace(/\n/g, ', '),
  };
}

// --- minimal DER writing ---

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}
function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * (parts[0] ?? 0) + (parts[1] ?? 0)];
  for (const p of parts.slice(2)) {
    const stack: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) stack.unshift((v & 0x7f) | 0x80);
    out.push(...stack);
  }
  return tlv(0x06, Buffer.from(out));
}
const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const octets = (b: Buffer) => tlv(0x04, b);
const int = (n: number) => tlv(0x02, Buffer.from([n]));
const EOC = Buffer.from([0, 0]);

/** The header up to the first ciphertext chunk, and the trailer after the last. */
function envelopeParts(
  recipient: Recipient,
  encryptedKey: Buffer,
  iv: Buffer,
): { head: Buffer; tail: Buffer } {
  const keyTransRecipientInfo = seq(
    int(0),
    recipient.issuerAndSerial,
    // RSAES-OAEP with the default parameters (SHA-1, MGF1-SHA-1): an empty parameter SEQUENCE.
    seq(oid(OID_RSAES_OAEP), seq()),
    octets(encryptedKey),
  );
  const head = Buffer.concat([
    Buffer.from([0x30, 0x80]), // ContentInfo
    oid(OID_ENVELOPED_DATA),
    Buffer.from([0xa0, 0x80]), // [0] EXPLICIT
    Buffer.from([0x30, 0x80]), // EnvelopedData
    int(0),
    set(keyTransRecipientInfo),
    Buffer.from([0x30, 0x80]), // EncryptedContentInfo
    oid(OID_DATA),
    seq(oid(OID_AES256_CBC), octets(iv)),
    Buffer.from([0xa0, 0x80]), // [0] IMPLICIT OCTET STRING, constructed
  ]);
  // Close: encryptedContent, EncryptedContentInfo, EnvelopedData, [0], ContentInfo.
  const tail = Buffer.concat([EOC, EOC, EOC, EOC, EOC]);
  return { head, tail };
}

/** Encrypts a stream into CMS EnvelopedData as it flows; nothing is buffered beyond one chunk. */
export class CmsEncryptStream extends Transform {
  private readonly cipher: crypto.Cipher;
  private readonly tail: Buffer;
  private started = false;
  private readonly head: Buffer;

  constructor(recipient: Recipient) {
    super();
    const key = crypto.randomBytes(32);
    const iv = crypto.randomBytes(16);
    const encryptedKey = crypto.publicEncrypt(
      { key: recipient.publicKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
      key,
    );
    const parts = envelopeParts(recipient, encryptedKey, iv);
    this.head = parts.head;
    this.tail = parts.tail;
    this.cipher = crypto.createCipheriv('aes-256-cbc', key, iv);
    key.fill(0);
  }

  private emit_(chunk: Buffer): void {
    if (!this.started) {
      this.started = true;
      this.push(this.head);
    }
    if (chunk.length > 0) this.push(octets(chunk));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.emit_(this.cipher.update(chunk));
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.emit_(this.cipher.final());
      this.push(this.tail);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }
}

// --- streaming BER reading, for inspect ---

class BerReader {
  pos = 0;
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  /** Make sure bytes [pos, pos+n) are buffered. */
  private async need(n: number): Promise<void> {
    if (this.pos + n > this.size)
      throw new CmsFormatError('the file ends in the middle of the encrypted data (truncated)');
    if (this.pos >= this.bufStart && this.pos + n <= this.bufStart + this.buf.length) return;
    const len = Math.max(n, 64 * 1024);
    const b = Buffer.alloc(Math.min(len, this.size - this.pos));
    const { bytesRead } = await this.fh.read(b, 0, b.length, this.pos);
    this.buf = b.subarray(0, bytesRead);
    this.bufStart = this.pos;
    if (bytesRead < n)
      throw new CmsFormatError('the file ends in the middle of the encrypted data (truncated)');
  }

  async bytes(n: number): Promise<Buffer> {
    if (n > 64 * 1024 * 1024) throw new CmsFormatError('an element is implausibly large');
    await this.need(n);
    const off = this.pos - this.bufStart;
    this.pos += n;
    return Buffer.from(this.buf.subarray(off, off + n));
  }

  /** Read a tag and length; length -1 means indefinite. */
  async header(): Promise<{ tag: number; len: number; start: number }> {
    const start = this.pos;
    const [tag] = await this.bytes(1);
    const [l0] = await this.bytes(1);
    if (tag === undefined || l0 === undefined) throw new CmsFormatError('unexpected end');
    if (l0 < 0x80) return { tag, len: l0, start };
    if (l0 === 0x80) return { tag, len: -1, start };
    const n = l0 & 0x7f;
    if (n > 6) throw new CmsFormatError('an element is implausibly large');
    const lb = await this.bytes(n);
    let len = 0;
    for (const b of lb) len = len * 256 + b;
    return { tag, len, start };
  }

  async peekIsEoc(): Promise<boolean> {
    await this.need(2);
    const off = this.pos - this.bufStart;
    return this.buf[off] === 0 && this.buf[off + 1] === 0;
  }
}

export class CmsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CmsFormatError';
  }
}

function readOid(content: Buffer): string {
  const first = content[0] ?? 0;
  const parts = [Math.floor(first / 40), first % 40];
  let v = 0;
  for (const b of content.subarray(1)) {
    v = v * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** Whether a file starts like a CMS ContentInfo (rather than a zip's "PK"). */
export function looksLikeCms(head: Buffer): boolean {
  return head[0] === 0x30 && head[1] !== undefined && head.subarray(2, 13).includes(0x06);
}

/**
 * Decrypt a CMS EnvelopedData file with an RSA private key into `out`, streaming. A wrong key, a
 * truncated file or anything that is not EnvelopedData throws CmsFormatError or UserError.
 */
export async function decryptCmsFile(file: string, keyPem: Buffer, out: Writable): Promise<void> {
  let privateKey: crypto.KeyObject;
  try {
    privateKey = crypto.createPrivateKey(keyPem);
  } catch {
    throw new UserError('The --key file is not a readable private key (PEM or DER, unencrypted).');
  }
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const r = new BerReader(fh, size);
    const ci = await r.header();
    if (ci.tag !== 0x30) throw new CmsFormatError('not a CMS message');
    const ctype = await r.header();
    if (ctype.tag !== 0x06 || readOid(await r.bytes(ctype.len)) !== OID_ENVELOPED_DATA)
      throw new CmsFormatError('not CMS EnvelopedData (encrypted data)');
    const explicit0 = await r.header();
    const ed = await r.header();
    if (explicit0.tag !== 0xa0 || ed.tag !== 0x30) throw new CmsFormatError('malformed EnvelopedData');
    const version = await r.header();
    await r.bytes(version.len);
    let next = await r.header();
    if (next.tag === 0xa0) {
      // originatorInfo: skip
      if (next.len < 0) throw new CmsFormatError('unsupported originatorInfo');
      await r.bytes(next.len);
      next = await r.header();
    }
    if (next.tag !== 0x31 || next.len < 0) throw new CmsFormatError('malformed recipient infos');
    const recipientInfos = await r.bytes(next.len);
    const eci = await r.header();
    if (eci.tag !== 0x30) throw new CmsFormatError('malformed encrypted content info');
    const ct = await r.header();
    await r.bytes(ct.len);
    const alg = await r.header();
    if (alg.tag !== 0x30 || alg.len < 0) throw new CmsFormatError('malformed content encryption algorithm');
    const algBytes = await r.bytes(alg.len);
    const { cipherOid, iv } = parseAlg(algBytes);
    if (cipherOid !== OID_AES256_CBC) throw new CmsFormatError(`unsupported content cipher ${cipherOid}`);

    const key = await unwrapKey(recipientInfos, privateKey);
    const decipher = crypto.createDecipheriv('aes-256-cbc', key, iv);
    const write = (b: Buffer) =>
      new Promise<void>((resolve, reject) => {
        if (b.length === 0) return resolve();
        out.write(b, (e) => (e ? reject(e) : resolve()));
      });

    const content = await r.header();
    if (content.tag === 0x80) {
      // primitive [0]: definite length ciphertext
      await copyDecrypt(r, content.len, decipher, write);
    } else if (content.tag === 0xa0) {
      const end = content.len >= 0 ? r.pos + content.len : -1;
      for (;;) {
        if (end >= 0 ? r.pos >= end : await r.peekIsEoc()) break;
        const chunk = await r.header();
        if (chunk.tag !== 0x04 || chunk.len < 0) throw new CmsFormatError('malformed encrypted content');
        await copyDecrypt(r, chunk.len, decipher, write);
      }
    } else {
      throw new CmsFormatError('the encrypted content is missing');
    }
    let last: Buffer;
    try {
      last = decipher.final();
    } catch {
      throw new UserError('Cannot decrypt the bundle: wrong key, or the file was damaged.');
    }
    await write(last);
  } finally {
    await fh.close();
  }
}

async function copyDecrypt(
  r: BerReader,
  len: number,
  decipher: crypto.Decipher,
  write: (b: Buffer) => Promise<void>,
): Promise<void> {
  let left = len;
  while (left > 0) {
    const n = Math.min(left, 1024 * 1024);
    await write(decipher.update(await r.bytes(n)));
    left -= n;
  }
}

/** Parse a small DER buffer into its top-level TLVs. */
function children(buf: Buffer): { tag: number; content: Buffer }[] {
  const out: { tag: number; content: Buffer }[] = [];
  let p = 0;
  while (p < buf.length) {
    const tag = buf[p++] ?? 0;
    let len = buf[p++] ?? 0;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + (buf[p++] ?? 0);
    }
    if (p + len > buf.length) throw new CmsFormatError('malformed structure');
    out.push({ tag, content: buf.subarray(p, p + len) });
    p += len;
  }
  return out;
}

function parseAlg(algBytes: Buffer): { cipherOid: string; iv: Buffer } {
  const [o, params] = children(algBytes);
  if (!o || o.tag !== 0x06 || !params || params.tag !== 0x04 || params.content.length !== 16)
    throw new CmsFormatError('malformed content encryption algorithm');
  return { cipherOid: readOid(o.content), iv: Buffer.from(params.content) };
}

async function unwrapKey(recipientInfos: Buffer, privateKey: crypto.KeyObject): Promise<Buffer> {
  let sawRsa = false;
  for (const ri of children(recipientInfos)) {
    if (ri.tag !== 0x30) continue;
    const parts = children(ri.content);
    const alg = parts[2];
    const encKey = parts[3];
    if (!alg || !encKey || encKey.tag !== 0x04) continue;
    const algOid = readOid(children(alg.content)[0]?.content ?? Buffer.alloc(0));
    try {
      if (algOid === OID_RSAES_OAEP) {
        sawRsa = true;
        return crypto.privateDecrypt(
          { key: privateKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
          encKey.content,
        );
      }
      if (algOid === OID_RSA_ENCRYPTION) {
        sawRsa = true;
        // Node refuses PKCS#1 v1.5 decryption (Marvin); node-forge still does it.
        const forge = await loadForge();
        const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
        const k = forge.pki.privateKeyFromPem(pem) as NodeForge.pki.rsa.PrivateKey;
        return Buffer.from(k.decrypt(encKey.content.toString('binary'), 'RSAES-PKCS1-V1_5'), 'binary');
      }
    } catch {
      // try the next recipient
    }
  }
  throw new UserError(
    sawRsa
      ? 'Cannot decrypt the bundle: the key does not match the certificate it was encrypted to (wrong key).'
      : 'Cannot decrypt the bundle: it has no RSA recipient this tool can use.',
  );
}
