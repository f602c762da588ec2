/**
 * Measuring this machine's clock against the service: the HTTPS `Date` header (several samples,
 * median, uncertainty from the round trip and the header's one-second resolution) and SNTP
 * (RFC 4330) when a time server is given. Offsets are local − reference: positive means this
 * machine's clock is ahead.
 */
import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import tls from 'node:tls';
import { rootsWith } from './probe.js';
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
  offsetMs: number;
  delayMs: number;
  stratum: number;
}

const NTP_EPOCH_OFFSET = 2208988800;

function readNtpTime(buf: Buffer, at: number): number {
  const secs = buf.readUInt32BE(at);
  const frac = buf.readUInt32BE(at + 4);
  return (secs - NTP_EPOCH_OFFSET) * 1000 + (frac / 2 ** 32) * 1000;
}

/** Parse ntp://host[:port] (port 123 by default). */
export function parseTimeServer(s: string): { host: string; port: number } {
  const u = new URL(s.includes('://') ? s : `ntp://${s}`);
  if (u.protocol !== 'ntp:') throw new Error(`time server must be ntp://host[:port] (got ${s})`);
  return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: u.port ? Number(u.port) : 123 };
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
        const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
        onCancel(() => sock.close());
        const pkt = Buffer.alloc(48);
        pkt[0] = 0x1b; // LI 0, version 3, mode 3 (client)
        let t1 = 0;
        sock.on('error', (e) => {
          sock.close();
          reject(e);
        });
        sock.on('message', (msg) => {
          const t4 = o.now();
          sock.close();
          if (msg.length < 48) return reject(new ProbeError('BAD_NTP', 'short SNTP answer'));
          const stratum = msg[1]!;
          if (stratum === 0)
            return reject(
              new ProbeError(
                'NTP_KOD',
                `the time server sent a Kiss-o'-Death (${msg.subarray(12, 16).toString('latin1')})`,
              ),
            );
          const t2 = readNtpTime(msg, 32);
          const t3 = readNtpTime(msg, 40);
          resolve({
            server,
            offsetMs: Math.round(-(t2 - t1 + (t3 - t4)) / 2),
            delayMs: Math.round(t4 - t1 - (t3 - t2)),
            stratum,
          });
        });
        t1 = o.now();
        sock.send(pkt, port, host);
      }),
    o.timeoutMs,
    o.signal,
    `SNTP query to ${host}:${port}`,
  );
}
