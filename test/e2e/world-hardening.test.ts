/**
 * Issue 12 items 7-9 through the built CLI: a PAC file that loops is stopped (one line, exit 2,
 * the command ends); a --time-server that does not resolve is a clock-skew detail, not a crash;
 * TLS to an IP address with an IP SAN is verified properly, directly and through a proxy.
 */
import http from 'node:http';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeCa, makeLeaf, writeTemp } from '../network/helpers/pki.js';
import { closedPort, httpsServer, portOf } from '../network/helpers/servers.js';

const oneLine = (stderr: string) => {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
};

describe('a PAC file that never returns', () => {
  it.each([
    [
      'in FindProxyForURL',
      'function FindProxyForURL(u, h) { while (true) {} }',
      /FindProxyForURL ran longer than 2 s/,
    ],
    [
      'at its top level',
      'while (true) {}\nfunction FindProxyForURL(u, h) { return "DIRECT"; }',
      /the PAC file ran longer than 2 s/,
    ],
    [
      'in slow string work',
      'function FindProxyForURL(u, h) { var a = []; while (true) { a.push("x".repeat(100000) + a.length); } }',
      /ran longer than 2 s|used more memory/,
    ],
  ])(
    '%s: stopped, one line, exit 2',
    async (_name, text, why) => {
      const pac = writeTemp(`loop-${Math.random().toString(36).slice(2)}.pac`, text);
      const closed = await closedPort();
      const t0 = performance.now();
      const r = await runCli(['network', '--pac', pac, '--endpoint', `https://127.0.0.1:${closed}/`], {
        timeoutMs: 60_000,
      });
      expect(r.signal, 'the command had to be killed').toBeNull();
      expect(r.code).toBe(2);
      expect(oneLine(r.stderr)).toMatch(why);
      expect(r.stdout).toBe('');
      expect(performance.now() - t0).toBeLessThan(45_000);
    },
    90_000,
  );
});

describe('--time-server with a name that does not resolve', () => {
  it.each(['bogus', 'ntp://no-such.invalid:123'])(
    '%s: a clock-skew detail, the run goes on',
    async (server) => {
      const r = await runCli(['--only', 'clock-skew,disk-space', '--time-server', server, '--json']);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      expect([0, 1]).toContain(r.code);
      const j = JSON.parse(r.stdout) as {
        findings: { id: string; details: string[]; evidence: { sntpError?: string } }[];
      };
      const clock = j.findings.find((f) => f.id === 'clock-skew')!;
      const host = server === 'bogus' ? 'bogus' : 'no-such.invalid';
      expect(clock.evidence.sntpError).toMatch(new RegExp(`the time server ${host} does not resolve`));
      expect(clock.details.join('\n')).toMatch(/SNTP: the time server .* does not resolve/);
      expect(j.findings.map((f) => f.id)).toEqual(['clock-skew', 'disk-space']);
    },
  );
});

describe('TLS to an IP address', () => {
  const ca = makeCa('/CN=IP SAN Test Root/O=upwork-doctor tests');
  const leaf = makeLeaf(ca, ['127.0.0.1']);
  // A plain CONNECT proxy: relays bytes, so the TLS handshake is the client's own.
  const proxy = http.createServer();
  proxy.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
    const [host, port] = (req.url ?? '').split(':');
    const up = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      up.pipe(client).pipe(up);
    });
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  afterAll(() => new Promise<void>((r) => proxy.close(() => r())));

  it.each([['directly'], ['through a proxy']])('%s: the IP SAN is checked and accepted', async (how) => {
    const s = await httpsServer(leaf);
    const args = ['network', '--endpoint', `https://127.0.0.1:${portOf(s)}/`, '--ca', ca.certFile, '--json'];
    if (how === 'through a proxy') {
      await new Promise<void>((r) => (proxy.listening ? r() : proxy.listen(0, '127.0.0.1', () => r())));
      args.push('--proxy', `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`);
    }
    const r = await runCli(args);
    const j = JSON.parse(r.stdout) as {
      endpoints: { verdict: string; message: string; proxy: { mode: string } }[];
    };
    expect(j.endpoints[0]!.message).not.toMatch(/does not belong/);
    expect(j.endpoints[0]).toMatchObject({
      verdict: 'pass',
      proxy: { mode: how === 'directly' ? 'direct' : 'proxy' },
    });
    expect(r.code).toBe(0);
  });

  it('a certificate for another IP is still refused', async () => {
    const other = makeLeaf(ca, ['127.0.0.2']);
    const s = await httpsServer(other);
    const r = await runCli([
      'network',
      '--endpoint',
      `https://127.0.0.1:${portOf(s)}/`,
      '--ca',
      ca.certFile,
      '--json',
    ]);
    const j = JSON.parse(r.stdout) as {
      endpoints: { verdict: string; failedStage?: string; message: string }[];
    };
    expect(j.endpoints[0]).toMatchObject({ verdict: 'fail', failedStage: 'tls' });
    expect(j.endpoints[0]!.message).toMatch(/does not belong to 127\.0\.0\.1/);
    expect(r.code).toBe(1);
  });
});
