/** Stage-by-stage probes against real things on loopback: servers, tinyproxy, an intercepting proxy, openssl s_server. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import https from 'node:https';
import { diagnose } from '../../src/network/diagnose.js';
import { probeEndpoint } from '../../src/network/probe.js';
import { compilePac, decideProxy } from '../../src/network/proxy.js';
import type { ProxyDecision } from '../../src/network/types.js';
import { makeCa, makeLeaf, writeTemp } from './helpers/pki.js';
import {
  blackhole,
  closedPort,
  httpsServer,
  interceptingProxy,
  portOf,
  spawnUntil,
  waitForPort,
} from './helpers/servers.js';

const direct: ProxyDecision = { mode: 'direct', source: 'test', display: 'DIRECT' };
const via = (port: number, auth?: { username: string; password: string }): ProxyDecision => ({
  mode: 'proxy',
  proxy: { host: '127.0.0.1', port, ...(auth ? { auth } : {}) },
  source: '--proxy',
  display: `${auth ? '***@' : ''}127.0.0.1:${port}`,
});
const has = (bin: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const ca = makeCa('/CN=Doctor Test Root/O=upwork-doctor tests');
const leaf = makeLeaf(ca);
const opts = { stageTimeoutMs: 1_500, extraCa: [ca.cert] };

describe('probeEndpoint, direct', () => {
  it('a direct HTTPS endpoint passes every stage, with protocol, cipher and issuer', async () => {
    const s = await httpsServer(leaf);
    const r = await probeEndpoint({ name: 'ok', url: `https://localhost:${portOf(s)}/` }, direct, opts);
    expect(r.verdict, r.message).toBe('pass');
    expect(r.stages.map((x) => [x.stage, x.status])).toEqual([
      ['proxy', 'pass'],
      ['dns', 'pass'],
      ['tcp', 'pass'],
      ['tls', 'pass'],
      ['http', 'pass'],
      ['websocket', 'skip'],
    ]);
    const tlsStage = r.stages.find((x) => x.stage === 'tls')!;
    expect(tlsStage.details.protocol).toMatch(/TLSv1\.[23]/);
    expect(tlsStage.summary).toContain('Doctor Test Root');
    expect(r.stages.find((x) => x.stage === 'dns')!.details.lookup).toContain('127.0.0.1');
  });

  it('without the CA the same server fails at TLS as untrusted', async () => {
    const s = await httpsServer(leaf);
    const r = await probeEndpoint({ name: 'x', url: `https://127.0.0.1:${portOf(s)}/` }, direct, {
      stageTimeoutMs: 1_500,
    });
    expect(r.failedStage).toBe('tls');
    expect(r.message).toMatch(/does not lead to a trusted root/);
    expect(r.interception).toBeUndefined();
  });

  it('a closed port fails at TCP, in words, with the raw error', async () => {
    const port = await closedPort();
    const r = await probeEndpoint({ name: 'closed', url: `https://127.0.0.1:${port}/` }, direct, opts);
    expect(r.failedStage).toBe('tcp');
    expect(r.message).toBe(
      `TCP to 127.0.0.1:${port} refused: a firewall is rejecting the connection, or nothing listens on that port.`,
    );
    expect(r.stages.find((x) => x.stage === 'tcp')!.error?.code).toBe('ECONNREFUSED');
    expect(r.stages.find((x) => x.stage === 'tls')!.status).toBe('skip');
  });

  it('a port that accepts and never answers fails at TLS within the stage timeout', async () => {
    const s = await blackhole();
    const t0 = performance.now();
    const r = await probeEndpoint({ name: 'hole', url: `https://127.0.0.1:${portOf(s)}/` }, direct, {
      stageTimeoutMs: 700,
    });
    const took = performance.now() - t0;
    expect(r.failedStage).toBe('tls');
    expect(r.message).toMatch(/did not answer the TLS handshake within 0.7 s/);
    expect(took).toBeLessThan(2_000);
  });

  it('the whole diagnosis ends by its deadline even when every stage would wait longer', async () => {
    const s = await blackhole();
    const t0 = performance.now();
    const r = await diagnose({
      endpoints: [1, 2, 3].map((i) => ({ name: `hole${i}`, url: `https://127.0.0.1:${portOf(s)}/${i}` })),
      platform: 'linux',
      env: {},
      stageTimeoutMs: 10_000,
      deadlineMs: 600,
    });
    expect(performance.now() - t0).toBeLessThan(1_500);
    expect(r.deadlineHit).toBe(true);
    for (const e of r.endpoints) {
      expect(e.verdict).toBe('timeout');
      expect(e.failedStage).toBe('tls');
    }
  });

  it('a name under .invalid fails at DNS', async () => {
    const r = await probeEndpoint({ name: 'nx', url: 'https://upwork-doctor-test.invalid/' }, direct, opts);
    expect(r.failedStage).toBe('dns');
    expect(r.message).toMatch(
      /"upwork-doctor-test.invalid" does not resolve|no answer for "upwork-doctor-test.invalid"/,
    );
  });

  it('a WebSocket endpoint passes the upgrade stage', async () => {
    const srv = https.createServer({ cert: leaf.cert, key: leaf.key }, (_req, res) => {
      res.writeHead(426, { upgrade: 'websocket' });
      res.end();
    });
    const wss = new WebSocketServer({ server: srv });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as { port: number }).port;
      const r = await probeEndpoint({ name: 'ws', url: `wss://localhost:${port}/socket` }, direct, opts);
      expect(r.verdict, r.message).toBe('pass');
      expect(r.stages.find((x) => x.stage === 'websocket')!.status).toBe('pass');
      const plain = await probeEndpoint(
        { name: 'ws', url: `https://localhost:${port}/`, websocketPath: '/x' },
        direct,
        opts,
      );
      expect(plain.stages.find((x) => x.stage === 'websocket')!.status).toBe('pass');
    } finally {
      wss.close();
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    }
  });

  it('an HTTPS server that refuses WebSocket upgrades fails at the websocket stage', async () => {
    const s = await httpsServer(leaf);
    const r = await probeEndpoint({ name: 'ws', url: `wss://localhost:${portOf(s)}/` }, direct, opts);
    expect(r.failedStage).toBe('websocket');
    expect(r.message).toMatch(/answered 200 instead of switching protocols/);
  });
});

describe.skipIf(!has('tinyproxy') && !process.env.CI)('through tinyproxy (HTTP CONNECT)', () => {
  async function tinyproxy(conf: string[]): Promise<number> {
    const port = await closedPort();
    const file = writeTemp(
      `tinyproxy-${port}.conf`,
      [
        `Port ${port}`,
        'Listen 127.0.0.1',
        'Timeout 10',
        'MaxClients 20',
        'Allow 127.0.0.1',
        'LogLevel Info',
        ...conf,
      ].join('\n'),
    );
    await spawnUntil('tinyproxy', ['-d', '-c', file], /listen|Initializ/i, 2_000);
    await waitForPort(port);
    return port;
  }

  it('a proxy that allows the endpoint passes, and its tunnel carries TLS and HTTP', async () => {
    const s = await httpsServer(leaf);
    const p = await tinyproxy([`ConnectPort ${portOf(s)}`]);
    const r = await probeEndpoint({ name: 'via', url: `https://localhost:${portOf(s)}/` }, via(p), opts);
    expect(r.verdict, r.message).toBe('pass');
    expect(r.stages[0]!.summary).toMatch(new RegExp(`Proxy 127.0.0.1:${p} \\(--proxy\\) opened a tunnel`));
    expect(r.stages.find((x) => x.stage === 'tcp')!.details.viaProxy).toBe(true);
  });

  it('a proxy that denies the endpoint fails at the proxy stage (403)', async () => {
    const s = await httpsServer(leaf);
    const p = await tinyproxy(['ConnectPort 443']);
    const r = await probeEndpoint({ name: 'deny', url: `https://localhost:${portOf(s)}/` }, via(p), opts);
    expect(r.failedStage).toBe('proxy');
    expect(r.message).toMatch(
      /refuses to connect to localhost:\d+ \(403 Forbidden\): ask the proxy admin to allow localhost/,
    );
  });

  it('with authentication: no credentials → 407, wrong ones → rejected, right ones pass; never printed', async () => {
    const s = await httpsServer(leaf);
    const p = await tinyproxy([`ConnectPort ${portOf(s)}`, 'BasicAuth alice s3cret-pw']);
    const url = `https://localhost:${portOf(s)}/`;
    const none = await probeEndpoint({ name: 'a', url }, via(p), opts);
    expect(none.failedStage).toBe('proxy');
    expect(none.message).toMatch(/requires authentication \(it asks for: Basic\)/);
    const wrong = await probeEndpoint(
      { name: 'a', url },
      via(p, { username: 'alice', password: 'nope-pw' }),
      opts,
    );
    expect(wrong.failedStage).toBe('proxy');
    expect(wrong.message, wrong.message).toMatch(/rejected the credentials/);
    const ok = await probeEndpoint(
      { name: 'a', url },
      via(p, { username: 'alice', password: 's3cret-pw' }),
      opts,
    );
    expect(ok.verdict, ok.message).toBe('pass');
    const text = JSON.stringify([none, wrong, ok]);
    expect(text).not.toContain('s3cret-pw');
    expect(text).not.toContain('nope-pw');
    expect(ok.proxy.proxy).toMatchObject({ host: '127.0.0.1', authenticated: true });
  });
});

describe('TLS interception', () => {
  it('an intercepting proxy is detected and named from its issuer, with the hosts to exempt', async () => {
    const s = await httpsServer(leaf);
    const mitmCa = makeCa('/CN=mitmproxy/O=mitmproxy');
    const p = await interceptingProxy(makeLeaf(mitmCa));
    const r = await probeEndpoint(
      { name: 'mitm', url: `https://localhost:${portOf(s)}/` },
      via(portOf(p)),
      opts,
    );
    expect(r.failedStage).toBe('tls');
    expect(r.interception).toMatchObject({
      detected: true,
      vendor: 'mitmproxy',
      kind: 'debugging-proxy',
      exemptHosts: ['localhost'],
    });
    expect(r.message).toMatch(/TLS is intercepted by mitmproxy \(issuer "CN=mitmproxy, O=mitmproxy"\)/);
    // The direct connection (trusted with --ca) presents a different leaf: the comparison is evidence too.
    expect(r.interception!.evidence.join(' ')).toMatch(/differs from the one the server presents directly/);
  });

  it('an unknown re-signing proxy is still detected by comparison with the direct chain', async () => {
    const s = await httpsServer(leaf);
    const p = await interceptingProxy(makeLeaf(makeCa('/CN=Contoso Inspection CA/O=Contoso')));
    const r = await probeEndpoint(
      { name: 'x', url: `https://localhost:${portOf(s)}/` },
      via(portOf(p)),
      opts,
    );
    expect(r.interception).toMatchObject({ detected: true, kind: 'unknown' });
    expect(r.message).toMatch(/an unknown product \(issuer "CN=Contoso Inspection CA, O=Contoso"\)/);
  });
});

describe('PAC', () => {
  it('a PAC file picks the proxy for some hosts and DIRECT for others (QuickJS sandbox)', async () => {
    const pac = await compilePac(`function FindProxyForURL(url, host) {
      if (dnsDomainIs(host, ".via-proxy.test") || host === "localhost") return "PROXY 127.0.0.1:3128; DIRECT";
      return "DIRECT";
    }`);
    try {
      const base = {
        platform: 'linux' as const,
        env: {},
        pac: { evaluate: pac.evaluate, source: 'test.pac' },
      };
      const a = await decideProxy({ ...base, url: new URL('https://api.via-proxy.test/') });
      const b = await decideProxy({ ...base, url: new URL('https://www.example.test/') });
      expect(a.decision).toMatchObject({
        mode: 'proxy',
        proxy: { host: '127.0.0.1', port: 3128 },
        pacResult: 'PROXY 127.0.0.1:3128; DIRECT',
      });
      expect(b.decision).toMatchObject({ mode: 'direct', pacResult: 'DIRECT', source: 'PAC test.pac' });
    } finally {
      pac.dispose();
    }
  });

  it('a PAC file that tries to escape the sandbox cannot reach Node', async () => {
    const pac = await compilePac(
      'function FindProxyForURL(u, h) { return typeof process === "undefined" && typeof require === "undefined" ? "DIRECT" : "PROXY evil:1"; }',
    );
    try {
      expect(await pac.evaluate('https://x.test/', 'x.test')).toBe('DIRECT');
    } finally {
      pac.dispose();
    }
  });
});

describe.skipIf(!has('openssl'))('openssl s_server', () => {
  async function sServer(versionFlag: string): Promise<number> {
    const port = await closedPort();
    await spawnUntil(
      'openssl',
      [
        's_server',
        '-accept',
        `127.0.0.1:${port}`,
        '-cert',
        leaf.certFile,
        '-key',
        leaf.keyFile,
        versionFlag,
        '-cipher',
        'DEFAULT@SECLEVEL=0',
        '-www',
        '-quiet',
      ],
      /ACCEPT/,
      1_500,
    );
    await waitForPort(port);
    return port;
  }

  it('a server limited to TLS 1.1 fails at TLS, naming the protocol', async () => {
    const port = await sServer('-tls1_1');
    const r = await probeEndpoint({ name: 'old', url: `https://localhost:${port}/` }, direct, opts);
    expect(r.failedStage).toBe('tls');
    expect(r.message).toMatch(/only speaks TLSv1\.1; the tracker needs TLS 1\.2 or newer/);
    expect(r.stages.find((x) => x.stage === 'tls')!.error?.code).toMatch(/ERR_SSL/);
  });

  it('a server limited to TLS 1.3 passes TLS with TLSv1.3', async () => {
    const port = await sServer('-tls1_3');
    const r = await probeEndpoint({ name: 'new', url: `https://localhost:${port}/` }, direct, opts);
    expect(r.stages.find((x) => x.stage === 'tls')).toMatchObject({
      status: 'pass',
      details: { protocol: 'TLSv1.3' },
    });
  });
});
