/**
 * The work-diary server runs inside the doctor during a check, so no request a network or a local
 * process can send may crash it. Raw bytes over a real TLS socket: the six shapes that killed it
 * (`//`, `///`, `//:99999/x`, `//[::1`, absolute-form `http://[zz/…`, a good request pipelined
 * before `//`) and a few hundred generated request lines, heads and bodies. After every case the
 * server must still answer, and a malformed request gets a 4xx, never a 5xx.
 */
import { statSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { adminSecretPath } from '../../../src/engine/server/admin.js';
import { removeTmpDirs, startTestServer, type TestServer } from './fixtures.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.server.close();
  t = undefined;
});
afterAll(removeTmpDirs);

const fast = { handshakeMs: 1500, headersMs: 800, requestMs: 1500, idleMs: 1500 };

/** Send raw bytes over TLS, half-close, and collect the HTTP status codes answered until the socket closes. */
function raw(
  port: number,
  ca: string,
  bytes: string | Buffer,
  halfClose = true,
  waitMs = 3000,
): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      s.write(bytes);
      if (halfClose) s.end();
    });
    const timer = setTimeout(() => s.destroy(), waitMs);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      resolve([...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1])));
    });
    s.on('timeout', () => reject(new Error('timeout')));
  });
}

const req = (line: string, extra = '') => `${line}\r\nHost: localhost\r\n${extra}\r\n`;

async function stillServes(s: TestServer): Promise<void> {
  const h = await s.client.health();
  expect(h.status).toBe(200);
}

describe('work-diary server under hostile requests', () => {
  it('answers the six request shapes that crashed it with 400, and keeps serving', async () => {
    t = await startTestServer({ timeouts: fast });
    const { port, caPem } = t.server;
    for (const target of ['//', '///', '//:99999/x', '//[::1', 'http://[zz/v1/health', '/v1/diary/%zz']) {
      const codes = await raw(port, caPem, req(`GET ${target} HTTP/1.1`, 'Connection: close\r\n'));
      expect(codes.length, target).toBeGreaterThan(0);
      expect(
        codes.every((c) => c === 400),
        `${target}: ${codes.join(',')}`,
      ).toBe(true);
      await stillServes(t);
    }
    const pipelined = req('GET /v1/health HTTP/1.1') + req('GET // HTTP/1.1', 'Connection: close\r\n');
    expect(await raw(port, caPem, pipelined, false)).toEqual([200, 400]);
    await stillServes(t);
  });

  it('a few hundred generated request shapes: never a crash, never a 5xx', async () => {
    t = await startTestServer({ timeouts: fast });
    const { port, caPem } = t.server;
    const segment = fc.oneof(
      fc.constantFrom(
        '',
        '/',
        '//',
        ':',
        '[',
        ']',
        '%',
        '%zz',
        '%00',
        '..',
        '?',
        '#',
        '@',
        'v1',
        'admin',
        'diary',
      ),
      fc.string({ maxLength: 12 }),
    );
    const target = fc.oneof(
      fc.array(segment, { maxLength: 6 }).map((p) => `/${p.join('/')}`),
      fc.array(segment, { maxLength: 6 }).map((p) => p.join('')),
      fc.constantFrom(
        '/v1/diary/segments:batch',
        '/v1/admin/faults',
        '/v1/blobs/sha256/' + 'a'.repeat(64),
        '*',
      ),
      fc.string({ maxLength: 40 }).map((s) => `http://${s}`),
    );
    const method = fc.constantFrom(
      'GET',
      'POST',
      'PUT',
      'DELETE',
      'HEAD',
      'OPTIONS',
      'PATCH',
      'BREW',
      'G ET',
      '',
    );
    const body = fc.oneof(
      fc.constant(''),
      fc.json({ maxDepth: 3 }),
      fc.string({ maxLength: 200 }),
      fc.constantFrom('{"deviceId":"d","segments":[1,null,{}]}', '{"oldTls":"yes"}', '[]', 'null'),
    );
    const header = fc.oneof(
      fc.constant(''),
      fc.constantFrom(
        'Content-Length: -1\r\n',
        'Content-Length: 99999999999\r\n',
        'Transfer-Encoding: chunked\r\n',
      ),
      fc.string({ maxLength: 30 }).map((s) => `X-${s.replace(/[\r\n:]/g, '')}: ${s}\r\n`),
    );
    const shape = fc.record({ method, target, body, header, pipelined: fc.boolean() });
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(shape, async ({ method: m, target: p, body: b, header: h, pipelined }) => {
        cases++;
        const len = Buffer.byteLength(b);
        const one = `${m} ${p} HTTP/1.1\r\nHost: localhost\r\n${h}Content-Length: ${len}\r\n\r\n${b}`;
        const bytes = pipelined ? req('GET /v1/time HTTP/1.1') + one : one;
        const codes = await raw(port, caPem, bytes);
        expect(codes.filter((c) => c >= 500)).toEqual([]);
        await stillServes(t!);
      }),
      { numRuns: 300, seed: 20261201 },
    );
    expect(cases).toBe(300);
  }, 240_000);

  it('drops a connection that never finishes its head, and a TCP socket that never handshakes', async () => {
    t = await startTestServer({ timeouts: fast });
    const { port, caPem } = t.server;
    const slow = tls.connect({ host: '127.0.0.1', port, ca: caPem, servername: 'localhost' });
    slow.on('error', () => undefined);
    await new Promise<void>((r) => slow.once('secureConnect', () => r()));
    slow.write('GET /v1/health HTTP/1.1\r\nHost: local');
    const closedSlow = new Promise<number>((r) => {
      const at = performance.now();
      slow.once('close', () => r(performance.now() - at));
    });
    expect(await closedSlow).toBeLessThan(5000);

    const bare = net.connect(port, '127.0.0.1');
    bare.on('error', () => undefined);
    const at = performance.now();
    await new Promise<void>((r) => bare.once('close', () => r()));
    expect(performance.now() - at).toBeLessThan(5000);
    await stillServes(t);
  }, 20_000);

  it('refuses an oversized body and head', async () => {
    t = await startTestServer({ timeouts: fast });
    const { port, caPem } = t.server;
    const big = `POST /v1/diary/segments:batch HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${2 * 1024 * 1024}\r\nConnection: close\r\n\r\n`;
    const codes = await raw(port, caPem, big);
    expect(codes[0]).toBe(413);
    expect(codes.filter((c) => c >= 500)).toEqual([]);
    const head = req('GET /v1/health HTTP/1.1', `X-Big: ${'a'.repeat(64 * 1024)}\r\n`);
    expect((await raw(port, caPem, head)).every((c) => c === 431 || c === 400)).toBe(true);
    await stillServes(t);
  });

  it('admin requests need the owner-only secret, and their bodies are validated', async () => {
    t = await startTestServer();
    if (process.platform !== 'win32') expect(statSync(adminSecretPath(t.dataDir)).mode & 0o077).toBe(0);
    const { port, caPem } = t.server;
    const body = '{"oldTls":true}';
    const noSecret = `POST /v1/admin/faults HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
    expect(await raw(port, caPem, noSecret)).toEqual([403]);
    const wrong = noSecret.replace('Host:', `X-Admin-Secret: ${'0'.repeat(64)}\r\nHost:`);
    expect(await raw(port, caPem, wrong)).toEqual([403]);
    expect(t.server.faults().oldTls).toBeUndefined();
    await expect(t.client.request('POST', '/v1/admin/faults', { oldTls: 'yes' })).rejects.toMatchObject({
      status: 400,
    });
    await expect(t.client.request('POST', '/v1/admin/faults', { nonsense: 1 })).rejects.toMatchObject({
      status: 400,
    });
    await expect(
      t.client.request('POST', '/v1/admin/contracts/c-x', { status: 'dancing' }),
    ).rejects.toMatchObject({ status: 400 });
    expect(t.server.faults().oldTls).toBeUndefined();
    await stillServes(t);
  });
});
