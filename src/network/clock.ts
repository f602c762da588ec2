/**
 * Measuring this machine's clock against the service: the HTTPS `Date` header (several samples,
 * median, uncertainty from the round trip and the header's one-second resolution) and SNTP
 * (RFC 4330) when a time server is given. Offsets are local − reference: positive means this
 * machine's clock is ahead.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { rootsWith } from './probe.js';
import { parseTimeServer } from './time-server.js';
import { ProbeError, bounded, connectTunnel } from './transport.js';
import type { ProxyDecision } from './types.js';

export interface DateSample {
  offsetMs: number;
  rttMs: number;
  date: string;
}

export interface ServiceTime {
  url: string;
  offsetMs: number;
  uncertaintyMs: number;
  samples: DateSample[];
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * One sample: `Date` truncates to the second, so the server's true time is on average 500 ms past
 * it; the reading happened somewhere in the round trip, so its midpoint is the best guess.
 */
export function offsetFromSample(sentAtMs: number, rttMs: number, dateHeader: string, ageSec = 0): number {
  const server = Date.parse(dateHeader) + 500 + ageSec * 1000;
  return sentAtMs + rttMs / 2 - server;
}

export interface SampleOptions {
  url: string;
  decision: ProxyDecision;
  extraCa?: string[];
  samples?: number;
  spacingMs?: number;
  timeoutMs: number;
  signal?: AbortSignal;
  now: () => number;
  monotonic: () => number;
}

function makeAgent(u: URL, decision: ProxyDecision, extraCa: string[] | undefined): http.Agent {
  const secure = u.protocol === 'https:' || u.protocol === 'wss:';
  const base = secure
    ? new https.Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false, ca: rootsWith(extraCa) })
    : new http.Agent({ keepAlive: true, maxSockets: 1 });
  if (decision.mode !== 'proxy' || !decision.proxy) return base;
  const proxy = decision.proxy;
  // Tunnel through the same proxy the tracker uses; the agent keeps the tunnel for every sample.
  (base as unknown as { createConnection: unknown }).createConnection = (
    opts: { host: string; port: number; servername?: string },
    cb: (err: Error | null, s?: net.Socket) => void,
  ) => {
    connectTunnel(proxy, opts.host, Number(opts.port), () => undefined).then(
      (t) => {
        if (!secure) return cb(null, t.socket);
        const s = tls.connect({
          socket: t.socket,
          servername: opts.servername ?? opts.host,
          rejectUnauthorized: false,
          ca: rootsWith(extraCa),
        });
        s.once('secureConnect', () => cb(null, s));
        s.once('error', (e) => cb(e));
      },
      (e: Error) => cb(e),
    );
    return undefined;
  };
  return base;
}

export async function sampleServiceTime(o: SampleOptions): Promise<ServiceTime> {
  const u = new URL(o.url.replace(/^ws/, 'http'));
  const agent = makeAgent(u, o.decision, o.extraCa);
  const mod = u.protocol === 'https:' ? https : http;
  const samples: DateSample[] = [];
  const n = o.samples ?? 5;
  try {
    for (let i = 0; i < n; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, o.spacingMs ?? 150));
      const sentAt = o.now();
      const m0 = o.monotonic();
      const res = await bounded(
        (onCancel) =>
          new Promise<http.IncomingMessage>((resolve, reject) => {
            const req = mod.request(
              u,
              {
                method: 'HEAD',
                agent,
                headers: { 'cache-control': 'no-cache', 'user-agent': 'upwork-doctor' },
              },
              resolve,
            );
            onCancel(() => req.destroy());
            req.on('error', reject);
            req.end();
          }),
        o.timeoutMs,
        o.signal,
        `HEAD ${u.origin}`,
      );
      const rtt = o.monotonic() - m0;
      res.resume();
      const date = res.headers.date;
      if (!date || Number.isNaN(Date.parse(date)))
        throw new ProbeError('NO_DATE', `${u.origin} sent no usable Date header`);
      const age = Number(res.headers.age ?? 0) || 0;
      samples.push({
        offsetMs: Math.round(offsetFromSample(sentAt, rtt, date, age)),
        rttMs: Math.round(rtt),
        date,
      });
    }
  } finally {
    agent.destroy();
  }
  return {
    url: o.url,
    offsetMs: Math.round(median(samples.map((s) => s.offsetMs))),
    uncertaintyMs: Math.round(500 + median(samples.map((s) => s.rttMs)) / 2),
    samples,
  };
}

export interface SntpResult {
  server: string;
  /** local − server, ms. */
  offsetMs: number;
  /** Round-trip delay, ms; the offset is good to about ± half of it. */
  delayMs: number;
  stratum: number;
}

const NTP_EPOCH_OFFSET = 2208988800;

/**
 * NTP seconds are 32 bits since 1900; RFC 4330 §3: with the top bit clear the value is in era 1
 * (from 2036-02-07), so the same code keeps working past the rollover.
 */
export function readNtpTime(buf: Buffer, at: number): number {
  const raw = buf.readUInt32BE(at);
  const secs = raw & 0x80000000 ? raw : raw + 2 ** 32;
  const frac = buf.readUInt32BE(at + 4);
  return (secs - NTP_EPOCH_OFFSET) * 1000 + (frac / 2 ** 32) * 1000;
}

export { parseTimeServer } from './time-server.js';

/** A client request (RFC 4330 §5): version 4, mode 3, `nonce` in the transmit timestamp. */
export function sntpRequest(nonce: Buffer): Buffer {
  const pkt = Buffer.alloc(48);
  pkt[0] = (4 << 3) | 3;
  nonce.copy(pkt, 40, 0, 8);
  return pkt;
}

/**
 * Validate a server reply against our request (RFC 4330 §5) and return its timestamps. The
 * transmit field we sent is a random nonce the server must echo as originate: the local clock
 * does not leave the machine, and a stale or forged datagram cannot pass for the answer.
 */
export function parseSntpReply(msg: Buffer, nonce: Buffer): { t2: number; t3: number; stratum: number } {
  const bad = (why: string) => new ProbeError('BAD_NTP', `the time server's reply was rejected: ${why}`);
  if (msg.length < 48) throw bad(`it is ${msg.length} bytes, shorter than the 48 of an NTP header`);
  const li = msg[0]! >> 6;
  const version = (msg[0]! >> 3) & 7;
  const mode = msg[0]! & 7;
  const stratum = msg[1]!;
  if (mode !== 4) throw bad(`mode ${mode}, not 4 (server)`);
  if (version < 1 || version > 4) throw bad(`unknown NTP version ${version}`);
  if (!msg.subarray(24, 32).equals(nonce.subarray(0, 8)))
    throw bad('its originate timestamp does not match our request');
  if (stratum === 0) {
    const code = msg
      .subarray(12, 16)
      .toString('latin1')
      .replace(/[^\x20-\x7e]/g, '');
    throw new ProbeError(
      'NTP_KOD',
      `the time server refused to answer (Kiss-o'-Death${code ? ` ${code}` : ''}, stratum 0)`,
    );
  }
  if (stratum > 15) throw bad(`stratum ${stratum}: the server is not synchronised`);
  if (li === 3) throw bad('leap indicator 3: the server says its own clock is not synchronised');
  if (msg.readUInt32BE(40) === 0 && msg.readUInt32BE(44) === 0) throw bad('its transmit timestamp is zero');
  return { t2: readNtpTime(msg, 32), t3: readNtpTime(msg, 40), stratum };
}

/** One SNTP exchange over UDP. Offset: local − server (RFC 4330: −((T2−T1)+(T3−T4))/2). */
export function sntpQuery(
  server: string,
  o: { timeoutMs: number; now: () => number; signal?: AbortSignal },
): Promise<SntpResult> {
  const { host, port } = parseTimeServer(server);
  return bounded(
    (onCancel) =>
      new Promise<SntpResult>((resolve, reject) => {
        const sock = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
        let closed = false;
        // Both the answer path and the timeout close the socket; a second close() would throw.
        const close = () => {
          if (closed) return;
          closed = true;
          sock.close();
        };
        onCancel(close);
        const nonce = randomBytes(8);
        let t1 = 0;
        sock.on('error', (e) => {
          close();
          reject(e);
        });
        sock.on('message', (msg) => {
          const t4 = o.now();
          close();
          try {
            const { t2, t3, stratum } = parseSntpReply(msg, nonce);
            resolve({
              server,
              offsetMs: Math.round(-(t2 - t1 + (t3 - t4)) / 2),
              delayMs: Math.max(0, Math.round(t4 - t1 - (t3 - t2))),
              stratum,
            });
          } catch (e) {
            reject(e);
          }
        });
        // Connected: datagrams from any other address never reach 'message'.
        // Node hands a failed lookup to this callback (not to 'error'): a name that does not
        // resolve must read as such, not as a send on an unconnected socket.
        sock.connect(port, host, (err?: Error) => {
          if (closed) return;
          if (err) {
            close();
            const code = (err as NodeJS.ErrnoException).code ?? 'ERROR';
            const why = /ENOTFOUND|EAI_NONAME|EAI_AGAIN/.test(code)
              ? `the time server ${host} does not resolve (${code})`
              : `the time server ${host}:${port} cannot be reached (${code})`;
            reject(Object.assign(new Error(why), { code }));
            return;
          }
          t1 = o.now();
          try {
            sock.send(sntpRequest(nonce));
          } catch (e) {
            close();
            reject(e);
          }
        });
      }),
    o.timeoutMs,
    o.signal,
    `SNTP query to ${host}:${port}`,
  );
}
