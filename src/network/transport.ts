/**
 * Opening connections the way the tracker would: straight to the host, or through an HTTP CONNECT
 * tunnel. Every step is bounded by a timeout and by the caller's deadline signal, so nothing hangs.
 */
import net from 'node:net';
import type { ProxyServer } from './types.js';

/** A probe error with a stable code (Node's, or TIMEOUT / DEADLINE / HTTP_<status>). */
export class ProbeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ProbeError';
  }
}

/** The code of any error: ProbeError, Node system error, OpenSSL error. */
export function errorCode(e: unknown): string {
  if (e instanceof ProbeError) return e.code;
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : 'ERROR';
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Run `fn` with a timeout and the deadline. `fn` gets a cleanup registry so sockets are destroyed
 * when the time runs out (a stuck socket must never keep the process alive).
 */
export function bounded<T>(
  fn: (onCancel: (cleanup: () => void) => void) => Promise<T>,
  timeoutMs: number,
  deadline: AbortSignal | undefined,
  what: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cleanups: (() => void)[] = [];
    let done = false;
    const finish = (err: unknown, value?: T) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      deadline?.removeEventListener('abort', onAbort);
      if (err !== undefined) {
        for (const c of cleanups) c();
        reject(err);
      } else resolve(value as T);
    };
    const timer = setTimeout(
      () => finish(new ProbeError('TIMEOUT', `${what} did not finish within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    const onAbort = () => finish(new ProbeError('DEADLINE', `${what} was cut short by the deadline`));
    if (deadline?.aborted) {
      onAbort();
      return;
    }
    deadline?.addEventListener('abort', onAbort, { once: true });
    fn((c) => void cleanups.push(c)).then(
      (v) => finish(undefined, v),
      (e: unknown) => finish(e ?? new Error('unknown error')),
    );
  });
}

/** TCP connect to one address. */
export function tcpConnect(
  host: string,
  port: number,
  onCancel: (c: () => void) => void,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    onCancel(() => socket.destroy());
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (e) => {
      socket.destroy();
      reject(e);
    });
  });
}

/** Read an HTTP/1.x response head from a raw socket; bytes after the head are pushed back. */
export function readResponseHead(
  socket: net.Socket,
): Promise<{ status: number; statusText: string; headers: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > 64 * 1024) fail(new ProbeError('BAD_RESPONSE', 'response head larger than 64 KiB'));
        return;
      }
      cleanup();
      const head = buf.subarray(0, end).toString('latin1');
      const rest = buf.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const m = /^HTTP\/\d(?:\.\d)?\s+(\d{3})\s*(.*)$/.exec(statusLine);
      if (!m) {
        reject(
          new ProbeError('BAD_RESPONSE', `not an HTTP response: ${JSON.stringify(statusLine.slice(0, 80))}`),
        );
        return;
      }
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(m[1]), statusText: m[2] ?? '', headers });
    };
    const onEnd = () =>
      fail(new ProbeError('ECONNRESET', 'the connection was closed before a response arrived'));
    const onError = (e: Error) => fail(e);
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
    };
    const fail = (e: Error) => {
      cleanup();
      reject(e);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
  });
}

export interface TunnelResult {
  socket: net.Socket;
  status: number;
  headers: Record<string, string>;
}

/**
 * Open an HTTP CONNECT tunnel through `proxy` to host:port. Resolves with the socket on 2xx;
 * rejects with ProbeError('HTTP_<status>') otherwise (the caller words 403/407/502).
 */
export async function connectTunnel(
  proxy: ProxyServer,
  host: string,
  port: number,
  onCancel: (c: () => void) => void,
): Promise<TunnelResult> {
  const socket = await tcpConnect(proxy.host, proxy.port, onCancel);
  const authority = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`, 'User-Agent: upwork-doctor'];
  if (proxy.auth) {
    const token = Buffer.from(`${proxy.auth.username}:${proxy.auth.password}`).toString('base64');
    lines.push(`Proxy-Authorization: Basic ${token}`);
  }
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  const head = await readResponseHead(socket);
  if (head.status < 200 || head.status > 299) {
    socket.destroy();
    throw new ProbeError(`HTTP_${head.status}`, `proxy answered ${head.status} ${head.statusText}`.trim(), {
      status: head.status,
      proxyAuthenticate: head.headers['proxy-authenticate'],
      via: head.headers.via,
    });
  }
  return { socket, status: head.status, headers: head.headers };
}
