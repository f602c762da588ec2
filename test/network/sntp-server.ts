/**
 * A tiny SNTP server for tests (RFC 4330): UDP on 127.0.0.1, port 0. It answers each client
 * request in mode 4, stratum 2, originate = the client's transmit, receive/transmit = its own
 * clock, which runs `skewMs` ahead of this machine's. `tamper` rewrites the reply to make it
 * malformed; `silent` swallows requests (a firewall that drops UDP 123).
 */
import dgram from 'node:dgram';
import { afterAll } from 'vitest';

const NTP_EPOCH_OFFSET = 2208988800;
const open: dgram.Socket[] = [];
afterAll(async () => {
  await Promise.all(open.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

export function writeNtpTime(buf: Buffer, at: number, ms: number): void {
  const secs = Math.floor(ms / 1000);
  const frac = Math.min(2 ** 32 - 1, Math.round(((ms - secs * 1000) / 1000) * 2 ** 32));
  buf.writeUInt32BE((secs + NTP_EPOCH_OFFSET) % 2 ** 32, at);
  buf.writeUInt32BE(frac, at + 4);
}

export interface SntpServerOptions {
  skewMs?: number;
  silent?: boolean;
  tamper?: (reply: Buffer, request: Buffer) => Buffer;
}

export interface SntpServer {
  port: number;
  url: string;
  requests: Buffer[];
}

export async function sntpServer(o: SntpServerOptions = {}): Promise<SntpServer> {
  const sock = dgram.createSocket('udp4');
  open.push(sock);
  const requests: Buffer[] = [];
  sock.on('message', (req, rinfo) => {
    const t2 = Date.now() + (o.skewMs ?? 0);
    requests.push(Buffer.from(req));
    if (o.silent || req.length < 48 || (req[0]! & 7) !== 3) return;
    const reply = Buffer.alloc(48);
    reply[0] = (0 << 6) | (((req[0]! >> 3) & 7) << 3) | 4;
    reply[1] = 2;
    reply[2] = req[2]!;
    reply.writeInt8(-20, 3);
    reply.writeUInt32BE(0x00000100, 4); // root delay ~4 ms
    reply.writeUInt32BE(0x00000100, 8); // root dispersion ~4 ms
    Buffer.from([127, 0, 0, 1]).copy(reply, 12);
    writeNtpTime(reply, 16, t2 - 60_000);
    req.copy(reply, 24, 40, 48);
    writeNtpTime(reply, 32, t2);
    writeNtpTime(reply, 40, Date.now() + (o.skewMs ?? 0));
    const out = o.tamper ? o.tamper(reply, req) : reply;
    sock.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const port = sock.address().port;
  return { port, url: `ntp://127.0.0.1:${port}`, requests };
}
