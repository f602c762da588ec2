/** Loopback servers for network tests. Every server binds 127.0.0.1 on port 0 and is closed after the test. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll } from 'vitest';
import type { Cert } from './pki.js';

const closers: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

export function portOf(s: net.Server): number {
  return (s.address() as net.AddressInfo).port;
}

async function listen<S extends net.Server>(s: S): Promise<S> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const sockets = new Set<net.Socket>();
  s.on('connection', (so: net.Socket) => {
    sockets.add(so);
    so.on('close', () => sockets.delete(so));
  });
  closers.push(
    () =>
      new Promise<void>((r) => {
        for (const so of sockets) so.destroy();
        s.close(() => r());
      }),
  );
  return s;
}

/** An HTTPS server answering 200 (Date skewed by `skewMs`: its clock runs ahead by that much). */
export function httpsServer(leaf: Cert, opts: { skewMs?: number; minVersion?: tls.SecureVersion } = {}) {
  const s = https.createServer(
    { cert: leaf.cert, key: leaf.key, ...(opts.minVersion ? { minVersion: opts.minVersion } : {}) },
    (req, res) => {
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      if (opts.skewMs) headers.date = new Date(Date.now() + opts.skewMs).toUTCString();
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : 'ok');
    },
  );
  return listen(s);
}

/** Accepts TCP and never answers. */
export function blackhole() {
  return listen(net.createServer(() => undefined));
}

/** A port that is closed: bound, noted, released. */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = portOf(s);
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

/** A plain HTTP server for PAC files. */
export function textServer(body: string, type = 'application/x-ns-proxy-autoconfig') {
  return listen(
    http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    }),
  );
}

/**
 * A TLS-intercepting CONNECT proxy: it terminates TLS with a leaf signed by `ca` (named like an
 * antivirus or mitmproxy) and relays the plaintext to the real upstream over a fresh TLS connection.
 */
export function interceptingProxy(leaf: Cert) {
  const server = http.createServer((_req, res) => {
    res.writeHead(405);
    res.end();
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
    const [host, portS] = (req.url ?? '').split(':');
    client.write('HTTP/1.1 200 Connection established\r\n\r\n');
    const front = new tls.TLSSocket(client, { isServer: true, cert: leaf.cert, key: leaf.key });
    const back = tls.connect({
      host,
      port: Number(portS),
      rejectUnauthorized: false,
      servername: host === '127.0.0.1' ? undefined : host,
    });
    front.pipe(back).pipe(front);
    const end = () => {
      front.destroy();
      back.destroy();
    };
    front.on('error', end);
    back.on('error', end);
    client.on('error', end);
  });
  return listen(server);
}

/** Spawn a child and kill it after the tests; resolves once `ready` matches its output (or after `ms`). */
export function spawnUntil(cmd: string, args: string[], ready: RegExp, ms = 5_000): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    closers.push(() => {
      child.kill('SIGKILL');
    });
    let out = '';
    const timer = setTimeout(() => resolve(child), ms);
    const on = (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Wait until something accepts TCP on the port (bounded). */
export async function waitForPort(port: number, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port} after ${ms} ms`);
}
