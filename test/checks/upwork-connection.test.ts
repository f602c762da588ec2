import { describe, expect, it } from 'vitest';
import { upworkConnection } from '../../src/checks/upwork-connection.js';
import type { ConnectionFacts } from '../../src/facts/connection.js';
import type { NetworkPulse, ReachEndpoint } from '../../src/network/reachability.js';
import { classifyReachability } from '../../src/network/reachability.js';
import { makeFacts, missing } from '../helpers/facts.js';

const web = (over: Partial<ReachEndpoint> = {}): ReachEndpoint => ({
  name: 'upwork web',
  url: 'https://www.upwork.com/',
  host: 'www.upwork.com',
  verdict: 'pass',
  message: 'All stages passed',
  ...over,
});
const failAt = (stage: ReachEndpoint['failedStage'], errorCode: string, message = `${stage} failed`) =>
  web({ verdict: 'fail', failedStage: stage, errorCode, message });
const online: NetworkPulse = { interfacesUp: 2, control: { host: 'example.com', resolves: true } };
const nothingResolves: NetworkPulse = {
  interfacesUp: 2,
  control: { host: 'example.com', resolves: false, error: 'ENOTFOUND' },
};

const run = (c: ConnectionFacts) => upworkConnection.run(makeFacts({ connection: c }));
const facts = (eps: ReachEndpoint[], pulse?: NetworkPulse, simulated = false): ConnectionFacts => ({
  ...classifyReachability(eps, pulse),
  simulated,
});

describe('upwork-connection', () => {
  const cases: [string, ConnectionFacts, string, string, RegExp][] = [
    [
      'every host answers',
      facts([web()]),
      'pass',
      'UWD-CONN-001',
      /reaches Upwork's hosts \(www\.upwork\.com\)/,
    ],
    [
      'no name resolves: offline, one clear finding with the stage',
      facts([failAt('dns', 'ENOTFOUND')], nothingResolves),
      'warn',
      'UWD-CONN-002',
      /offline \(dns stage: no name resolves, neither www\.upwork\.com nor example\.com.*24 h/,
    ],
    [
      'no interface up: offline',
      facts([failAt('dns', 'EAI_AGAIN')], { interfacesUp: 0 }),
      'warn',
      'UWD-CONN-002',
      /offline \(dns stage: no network interface is up\)/,
    ],
    ['no route: offline', facts([failAt('tcp', 'ENETUNREACH')], online), 'warn', 'UWD-CONN-002', /no route/],
    [
      "only Upwork's names fail: DNS filtering",
      facts([failAt('dns', 'ENOTFOUND')], online),
      'fail',
      'UWD-CONN-003',
      /dns stage.*Upwork's name www\.upwork\.com while other names resolve/,
    ],
    [
      'proxy',
      facts([failAt('proxy', 'HTTP_407', 'Proxy p requires authentication')], online),
      'fail',
      'UWD-CONN-004',
      /proxy stage.*requires authentication/,
    ],
    [
      'firewall',
      facts([failAt('tcp', 'ECONNREFUSED', 'TCP refused')], online),
      'fail',
      'UWD-CONN-005',
      /\(tcp stage\): a firewall blocks/,
    ],
    ['tls', facts([failAt('tls', 'CERT_HAS_EXPIRED')], online), 'fail', 'UWD-CONN-006', /tls stage/],
    ['service error', facts([failAt('http', 'HTTP_503')], online), 'warn', 'UWD-CONN-007', /http stage/],
    [
      'the update host is blocked while the web host answers',
      facts([web(), failAt('tcp', 'ETIMEDOUT', 'TCP dropped')], online),
      'fail',
      'UWD-CONN-005',
      /firewall/,
    ],
  ];
  it.each(cases)('%s', async (_name, c, status, code, summary) => {
    const f = await run(c);
    expect({ status: f.status, code: f.code }).toEqual({ status, code });
    expect(f.summary).toMatch(summary);
  });

  it('never passes on a fact that was not collected', async () => {
    const f = await upworkConnection.run(makeFacts({ connection: missing('timeout') }));
    expect(f.status).not.toBe('pass');
  });

  it('a simulated connection names the reference server, not Upwork', async () => {
    const f = await run(facts([web({ host: '127.0.0.1', url: 'https://127.0.0.1:4431/' })], undefined, true));
    expect(f.summary).toMatch(/reference server/);
  });

  it("a simulated firewall asks IT to allow Upwork's hosts, never the loopback stand-in", async () => {
    const blockedLocal = failAt('tcp', 'ECONNREFUSED', 'TCP refused');
    const f = await run(
      facts([{ ...blockedLocal, host: '127.0.0.1', url: 'https://127.0.0.1:4431/' }], online, true),
    );
    expect(f.code).toBe('UWD-CONN-005');
    expect(f.remediation?.text).toMatch(
      /Ask IT to allow HTTPS \(TCP 443\) to Upwork's hosts \(in this simulated scenario/,
    );
    expect(f.remediation?.text).not.toContain('127.0.0.1');
    const real = await run(facts([blockedLocal], online));
    expect(real.remediation?.text).toMatch(/to www\.upwork\.com; docs\/network\.md/);
  });
});
