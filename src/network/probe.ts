/**
 * Stage-by-stage reachability of one endpoint: proxy → DNS → TCP → TLS → HTTP → WebSocket. Each
 * stage has its own timeout and duration; the first failure is the verdict, worded for an admin,
 * with the raw error beside it. Later stages are listed as not run.
 */
import { createHash, randomBytes } from 'node:crypto';
import dns from 'node:dns';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import {
  ProbeError,
  bounded,
  connectTunnel,
  errorCode,
  errorText,
  readResponseHead,
  tcpConnect,
} from './transport.js';
import { analyseInterception, describeInterception, isUntrustedChainError, walkChain } from './tls-chain.js';
import type {
  CertSummary,
  Endpoint,
  EndpointResult,
  InterceptionInfo,
  ProxyDecision,
  StageName,
  StageResult,
} from './types.js';
import { STAGES } from './types.js';

export interface ProbeOptions {
  /** Per-stage timeout, ms (default 5 000). */
  stageTimeoutMs?: number;
  /** The command's deadline. */
  signal?: AbortSignal;
  /** PEM roots trusted in addition to Node's bundled ones (the engine's CA, --ca). */
  extraCa?: string[];
  /** Monotonic clock for durations (default performance.now). */
  monotonic?: () => number;
  /** Compare with a direct connection when a proxy presents an untrusted chain (default true). */
  compareDirect?: boolean;
}

interface Target {
  host: string;
  port: number;
  secure: boolean;
  websocket: boolean;
  path: string;
  wsPath: string;
}

export function parseTarget(ep: Endpoint): Target {
  let u: URL;
  try {
    u = new URL(ep.url);
  } catch {
    throw new ProbeError('BAD_URL', `"${ep.url}" is not a URL`);
  }
  const proto = u.protocol.replace(':', '');
  if (!['https', 'http', 'wss', 'ws'].includes(proto)) {
    throw new ProbeError('BAD_URL', `"${ep.url}": only https, http, wss and ws URLs can be probed`);
  }
  const secure = proto === 'https' || proto === 'wss';
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = u.port ? Number(u.port) : secure ? 443 : 80;
  const websocket = proto === 'wss' || proto === 'ws' || Boolean(ep.websocketPath);
  const path = `${u.pathname || '/'}${u.search}`;
  return { host, port, secure, websocket, path, wsPath: ep.websocketPath ?? path };
}

export function rootsWith(extraCa: readonly string[] | undefined): string[] | undefined {
  return extraCa && extraCa.length > 0 ? [...tls.rootCertificates, ...extraCa] : undefined;
}

const PROTOCOL_ERRORS =
  /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE|WRONG_VERSION_NUMBER|VERSION_TOO_LOW/i;

/** What a failed stage means, in words an admin can act on. */
function wordTcp(code: string, host: string, port: number, ms: number): string {
  switch (code) {
    case 'ECONNREFUSED':
      return `TCP to ${host}:${port} refused: a firewall is rejecting the connection, or nothing listens on that port.`;
    case 'TIMEOUT':
      return `TCP to ${host}:${port} got no answer within ${ms / 1000} s: a firewall is silently dropping the connection.`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `TCP to ${host}:${port}: no route to the host (${code}): the network or a router blocks it.`;
    case 'ECONNRESET':
      return `TCP to ${host}:${port} was reset: a firewall or filter is cutting the connection.`;
    default:
      return `TCP to ${host}:${port} failed (${code}).`;
  }
}

export function wordDns(code: string, host: string, ms: number): string {
  switch (code) {
    case 'ENOTFOUND':
      return `DNS: "${host}" does not resolve (the name does not exist for your DNS server, or DNS filtering blocks it).`;
    case 'EAI_AGAIN':
    case 'ETIMEOUT':
    case 'TIMEOUT':
      return `DNS: no answer for "${host}" within ${ms / 1000} s: the DNS server is unreachable or too slow.`;
    case 'ENODATA':
      return `DNS: "${host}" exists but has no address records.`;
    default:
      return `DNS lookup of "${host}" failed (${code}).`;
  }
}

function wordProxy(e: unknown, d: ProxyDecision, host: string, port: number, ms: number): string {
  const code = errorCode(e);
  const extra = e instanceof ProbeError ? e.extra : {};
  const p = d.display;
  // Some proxies (tinyproxy) answer 401 instead of 407 to wrong credentials.
  if (code === 'HTTP_407' || code === 'HTTP_401') {
    const schemes =
      typeof extra.proxyAuthenticate === 'string'
        ? ` (it asks for: ${extra.proxyAuthenticate.split(/\s+/)[0]})`
        : '';
    return d.proxy?.auth
      ? `Proxy ${p} rejected the credentials${schemes}: check the user name and password given for the proxy.`
      : `Proxy ${p} requires authentication${schemes}: the tracker needs proxy credentials, or an exemption for ${host}.`;
  }
  if (code === 'HTTP_403')
    return `Proxy ${p} refuses to connect to ${host}:${port} (403 Forbidden): ask the proxy admin to allow ${host}.`;
  if (code === 'HTTP_502' || code === 'HTTP_503' || code === 'HTTP_504')
    return `Proxy ${p} could not reach ${host}:${port} (${code.slice(5)}): the proxy's own upstream connection failed.`;
  if (code.startsWith('HTTP_'))
    return `Proxy ${p} refused the tunnel to ${host}:${port} with HTTP ${code.slice(5)}.`;
  if (code === 'ECONNREFUSED')
    return `Proxy ${p} refused the connection: the proxy is not running there, or the port is wrong.`;
  if (code === 'TIMEOUT')
    return `Proxy ${p} did not answer within ${ms / 1000} s: it is unreachable or stalls the CONNECT request.`;
  if (code === 'ENOTFOUND') return `Proxy host of ${p} does not resolve in DNS.`;
  return `Proxy ${p} failed (${code}).`;
}

export function stageResult(
  stage: StageName,
  status: StageResult['status'],
  durationMs: number,
  summary: string,
  details: Record<string, unknown> = {},
  error?: unknown,
): StageResult {
  return {
    stage,
    status,
    durationMs: Math.round(durationMs),
    summary,
    details,
    ...(error !== undefined ? { error: { code: errorCode(error), message: errorText(error) } } : {}),
  };
}

/** One probe's shared state: what every stage reads, and the sockets to close at the end. */
interface ProbeRun {
  target: Target;
  decision: ProxyDecision;
  pub: ProxyDecision;
  opts: ProbeOptions;
  ms: number;
  deadline: AbortSignal | undefined;
  mono: () => number;
  stages: StageResult[];
  sockets: net.Socket[];
  interception?: InterceptionInfo;
}

/** A stage either hands its value to the next one or ends the probe with its failed result. */
type Outcome<T> = { ok: true; value: T } | { ok: false; result: StageResult };

const fail = <T>(result: StageResult): Outcome<T> => ({ ok: false, result });
const pass = <T>(value: T): Outcome<T> => ({ ok: true, value });

function track<S extends net.Socket>(run: ProbeRun, s: S): S {
  run.sockets.push(s);
  return s;
}

const statusFor = (e: unknown): 'timeout' | 'fail' => (errorCode(e) === 'DEADLINE' ? 'timeout' : 'fail');

/**
 * The endpoint probe. Never rejects: every problem becomes a stage result.
 */
export async function probeEndpoint(
  endpoint: Endpoint,
  decision: ProxyDecision,
  opts: ProbeOptions = {},
): Promise<EndpointResult> {
  const mono = opts.monotonic ?? (() => performance.now());
  const t0 = mono();
  const pub = publicDecision(decision);
  let target: Target;
  try {
    target = parseTarget(endpoint);
  } catch (e) {
    const r = stageResult('proxy', 'fail', 0, errorText(e), {}, e);
    return finish(endpoint, '', 0, pub, [r], mono() - t0);
  }
  const run: ProbeRun = {
    target,
    decision,
    pub,
    opts,
    ms: opts.stageTimeoutMs ?? 5_000,
    deadline: opts.signal,
    mono,
    stages: [],
    sockets: [],
  };
  try {
    const failure = await runStages(run);
    if (failure) run.stages.push(failure);
    return finish(endpoint, target.host, target.port, pub, run.stages, mono() - t0, run.interception);
  } finally {
    // TLS wrappers before the raw sockets under them: the other order crashed Node 20 (SIGSEGV).
    for (const so of run.sockets.reverse()) so.destroy();
  }
}

/** Runs the stages in order; the first failed stage's result, or undefined when all passed. */
async function runStages(run: ProbeRun): Promise<StageResult | undefined> {
  const tunnel = await proxyStage(run);
  if (!tunnel.ok) return tunnel.result;
  const addresses = await dnsStageOf(run, tunnel.value !== undefined);
  if (!addresses.ok) return addresses.result;
  const opened = tunnel.value ? tunnelAsTcp(run, tunnel.value) : await tcpStage(run, addresses.value);
  if (!opened.ok) return opened.result;
  const stream = await tlsStage(run, opened.value);
  if (!stream.ok) return stream.result;
  const answered = await httpStage(run, stream.value);
  if (!answered.ok) return answered.result;
  const ws = await websocketStage(run, addresses.value);
  return ws.ok ? undefined : ws.result;
}

/** 1. Proxy decision, and the CONNECT tunnel when there is a proxy (its socket, or undefined). */
async function proxyStage(run: ProbeRun): Promise<Outcome<net.Socket | undefined>> {
  const { decision, pub, mono, ms } = run;
  const { host, port } = run.target;
  const s = mono();
  if (decision.mode === 'unsupported') {
    return fail(
      stageResult(
        'proxy',
        'fail',
        0,
        `The proxy decision (${decision.source}: ${decision.pacResult ?? decision.display}) names a proxy type this probe cannot use.`,
        { decision: pub },
      ),
    );
  }
  if (decision.mode === 'direct') {
    run.stages.push(
      stageResult(
        'proxy',
        'pass',
        mono() - s,
        `Direct connection (${decision.source}${decision.bypassedBy ? `, bypassed by "${decision.bypassedBy}"` : ''}).`,
        { decision: pub },
      ),
    );
    return pass(undefined);
  }
  const proxy = decision.proxy!;
  try {
    const t = await bounded(
      (c) => connectTunnel(proxy, host, port, c),
      ms,
      run.deadline,
      `CONNECT through ${decision.display}`,
    );
    track(run, t.socket);
    run.stages.push(
      stageResult(
        'proxy',
        'pass',
        mono() - s,
        `Proxy ${decision.display} (${decision.source}) opened a tunnel to ${host}:${port}.`,
        { decision: pub, status: t.status, via: t.headers.via },
      ),
    );
    return pass(t.socket);
  } catch (e) {
    return fail(
      stageResult(
        'proxy',
        statusFor(e),
        mono() - s,
        errorCode(e) === 'DEADLINE'
          ? `Cut short by the deadline while connecting to the proxy.`
          : wordProxy(e, decision, host, port, ms),
        { decision: pub, ...(e instanceof ProbeError ? e.extra : {}) },
        e,
      ),
    );
  }
}

/**
 * 2. DNS: lookup (the OS resolver, what connect uses) and resolve (DNS servers only). Through a
 * proxy tunnel a local failure does not block: the proxy resolves the name.
 */
async function dnsStageOf(run: ProbeRun, tunnelled: boolean): Promise<Outcome<string[]>> {
  const { host } = run.target;
  const s = run.mono();
  if (net.isIP(host)) {
    run.stages.push(
      stageResult('dns', 'pass', 0, `${host} is an IP address: no DNS needed.`, { lookup: [host] }),
    );
    return pass([host]);
  }
  const dnsR = await dnsStage(host, run.ms, run.deadline);
  const duration = run.mono() - s;
  if (!dnsR.lookupError) {
    run.stages.push(stageResult('dns', 'pass', duration, dnsR.summary, dnsR.details));
    return pass(dnsR.addresses);
  }
  const code = errorCode(dnsR.lookupError);
  if (code === 'DEADLINE')
    return fail(
      stageResult(
        'dns',
        'timeout',
        duration,
        'Cut short by the deadline during DNS.',
        dnsR.details,
        dnsR.lookupError,
      ),
    );
  if (!tunnelled)
    return fail(
      stageResult('dns', 'fail', duration, wordDns(code, host, run.ms), dnsR.details, dnsR.lookupError),
    );
  run.stages.push(
    stageResult(
      'dns',
      'pass',
      duration,
      `"${host}" does not resolve locally (${code}); the proxy resolves it, so this does not block the tracker.`,
      dnsR.details,
    ),
  );
  return pass([]);
}

/** 3. TCP, when the proxy already made the connection. */
function tunnelAsTcp(run: ProbeRun, socket: net.Socket): Outcome<net.Socket> {
  const { host, port } = run.target;
  run.stages.push(
    stageResult(
      'tcp',
      'pass',
      0,
      `Connected through the proxy tunnel (the proxy made the TCP connection to ${host}:${port}).`,
      { viaProxy: true },
    ),
  );
  return pass(socket);
}

/** 3. TCP, direct: the first of up to four addresses that connects. */
async function tcpStage(run: ProbeRun, addresses: string[]): Promise<Outcome<net.Socket>> {
  const { host, port } = run.target;
  const s = run.mono();
  const attempts: { address: string; error?: string }[] = [];
  try {
    const sock = await bounded(
      async (c) => {
        let last: unknown;
        for (const a of addresses.slice(0, 4)) {
          try {
            const so = await tcpConnect(a, port, c);
            attempts.push({ address: a });
            return so;
          } catch (e) {
            attempts.push({ address: a, error: errorCode(e) });
            last = e;
          }
        }
        throw last ?? new ProbeError('ENOTFOUND', 'no address to connect to');
      },
      run.ms,
      run.deadline,
      `TCP connect to ${host}:${port}`,
    );
    track(run, sock);
    run.stages.push(
      stageResult('tcp', 'pass', run.mono() - s, `TCP to ${sock.remoteAddress}:${port} connected.`, {
        attempts,
        address: sock.remoteAddress,
        family: sock.remoteFamily,
      }),
    );
    return pass(sock);
  } catch (e) {
    const code = errorCode(e);
    return fail(
      stageResult(
        'tcp',
        statusFor(e),
        run.mono() - s,
        code === 'DEADLINE'
          ? 'Cut short by the deadline during TCP connect.'
          : wordTcp(code, host, port, run.ms),
        { attempts },
        e,
      ),
    );
  }
}

/** 4. TLS over the opened socket (skipped for plain HTTP); the stream HTTP then uses. */
async function tlsStage(run: ProbeRun, socket: net.Socket): Promise<Outcome<net.Socket>> {
  const { host, port } = run.target;
  if (!run.target.secure) {
    run.stages.push(stageResult('tls', 'skip', 0, 'Plain HTTP endpoint: no TLS.', {}));
    return pass(socket);
  }
  const s = run.mono();
  let sec: tls.TLSSocket;
  try {
    sec = await bounded(
      (c) => tlsHandshake(socket, host, run.opts.extraCa, c),
      run.ms,
      run.deadline,
      `TLS handshake with ${host}:${port}`,
    );
  } catch (e) {
    return fail(await tlsFailure(run, e, run.mono() - s));
  }
  track(run, sec);
  const verdict = await judgeTls(run, sec, s);
  if (verdict.status !== 'pass') return fail(verdict);
  run.stages.push(verdict);
  return pass(sec);
}

/** The handshake's chain, compared with a direct one through a proxy, judged for trust. */
async function judgeTls(run: ProbeRun, sec: tls.TLSSocket, s: number): Promise<StageResult> {
  const { host, port } = run.target;
  const chain = walkChain(sec);
  const protocol = sec.getProtocol() ?? 'unknown';
  const cipher = sec.getCipher();
  const authErr = sec.authorizationError
    ? String((sec.authorizationError as unknown as { code?: string }).code ?? sec.authorizationError)
    : undefined;
  const details: Record<string, unknown> = {
    protocol,
    cipher: cipher?.standardName ?? cipher?.name,
    authorized: sec.authorized,
    authorizationError: authErr,
    chain,
    issuer: chain[0]?.issuer,
    validFrom: chain[0]?.validFrom,
    validTo: chain[0]?.validTo,
  };
  let directChain: CertSummary[] | undefined;
  let directAuthorized: boolean | undefined;
  if (!sec.authorized && run.decision.mode === 'proxy' && run.opts.compareDirect !== false) {
    const d = await directChainOf(host, port, run.opts.extraCa, Math.min(run.ms, 3_000), run.deadline);
    directChain = d?.chain;
    directAuthorized = d?.authorized;
    details.directComparison = d
      ? { authorized: d.authorized, issuer: d.chain[0]?.issuer, leafFingerprint: d.chain[0]?.fingerprint256 }
      : 'a direct connection could not be made';
  }
  const interception = analyseInterception({
    host,
    chain,
    authorized: sec.authorized,
    authorizationError: authErr,
    directChain,
    directAuthorized,
  });
  run.interception = interception;
  if (interception) details.interception = interception;
  if (!sec.authorized) {
    return stageResult(
      'tls',
      'fail',
      run.mono() - s,
      untrustedSummary(host, chain, authErr, interception),
      details,
      new ProbeError(authErr ?? 'CERT_REJECTED', `certificate verification failed: ${authErr}`),
    );
  }
  return stageResult(
    'tls',
    'pass',
    run.mono() - s,
    `TLS ${protocol} with ${String(details.cipher)}, certificate issued by "${chain[chain.length - 1]?.issuer ?? '?'}" is trusted.`,
    details,
  );
}

/** Why a completed handshake's certificate was not accepted, in words an admin can act on. */
function untrustedSummary(
  host: string,
  chain: CertSummary[],
  authErr: string | undefined,
  interception: InterceptionInfo | undefined,
): string {
  if (interception) return describeInterception(interception);
  if (authErr === 'CERT_HAS_EXPIRED' || authErr === 'CERT_NOT_YET_VALID')
    return `TLS: the certificate of ${host} is ${authErr === 'CERT_HAS_EXPIRED' ? 'expired' : 'not yet valid'} by this machine's clock (valid ${chain[0]?.validFrom} to ${chain[0]?.validTo}): check the clock first.`;
  if (
    authErr === 'ERR_TLS_CERT_ALTNAME_INVALID' ||
    authErr === "Hostname/IP does not match certificate's altnames"
  )
    return `TLS: the certificate presented does not belong to ${host}: a captive portal or a redirecting filter is answering instead.`;
  if (isUntrustedChainError(authErr))
    return `TLS: the certificate chain of ${host} (issuer "${chain[chain.length - 1]?.issuer}") does not lead to a trusted root (${authErr}): something in the path re-signs the traffic, or the server's chain is incomplete.`;
  return `TLS: the certificate of ${host} was not accepted (${authErr}).`;
}

/** The result of a handshake that did not complete. */
async function tlsFailure(run: ProbeRun, e: unknown, duration: number): Promise<StageResult> {
  const { host, port } = run.target;
  const code = errorCode(e);
  if (code === 'DEADLINE')
    return stageResult(
      'tls',
      'timeout',
      duration,
      'Cut short by the deadline during the TLS handshake.',
      {},
      e,
    );
  if (code === 'TIMEOUT')
    return stageResult(
      'tls',
      'fail',
      duration,
      `TLS: ${host}:${port} accepted the connection but did not answer the TLS handshake within ${run.ms / 1000} s (a firewall or proxy holds the connection, or the service there does not speak TLS).`,
      {},
      e,
    );
  if (PROTOCOL_ERRORS.test(code) || PROTOCOL_ERRORS.test(errorText(e))) {
    const legacy = await legacyProtocolOf(host, port, run.decision, Math.min(run.ms, 3_000), run.deadline);
    const words = legacy
      ? `TLS: ${host}:${port} only speaks ${legacy}; the tracker needs TLS 1.2 or newer (upgrade the server, or the TLS-inspecting device in the path).`
      : `TLS: ${host}:${port} and this machine share no TLS version (the tracker needs TLS 1.2 or newer).`;
    return stageResult('tls', 'fail', duration, words, { serverProtocol: legacy }, e);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE')
    return stageResult(
      'tls',
      'fail',
      duration,
      `TLS: the connection to ${host}:${port} was reset during the handshake: a firewall or filter (often one matching the server name) is cutting it.`,
      {},
      e,
    );
  return stageResult('tls', 'fail', duration, `TLS handshake with ${host}:${port} failed (${code}).`, {}, e);
}

/** 5. HTTP: one GET over the (verified) stream; a 5xx answer fails. */
async function httpStage(run: ProbeRun, stream: net.Socket): Promise<Outcome<undefined>> {
  const { host, port } = run.target;
  const s = run.mono();
  try {
    const res = await bounded(
      (c) => httpRequest(stream, run.target, c),
      run.ms,
      run.deadline,
      `HTTP request to ${host}:${port}`,
    );
    const details = {
      status: res.status,
      date: res.headers.date,
      server: res.headers.server,
      via: res.headers.via,
      location: res.headers.location,
    };
    if (res.status >= 500) {
      return fail(
        stageResult(
          'http',
          'fail',
          run.mono() - s,
          `HTTP: ${host} answered ${res.status}: the service (or a gateway in front of it) has a problem.`,
          details,
          new ProbeError(`HTTP_${res.status}`, `HTTP ${res.status}`),
        ),
      );
    }
    run.stages.push(stageResult('http', 'pass', run.mono() - s, `HTTP ${res.status} from ${host}.`, details));
    return pass(undefined);
  } catch (e) {
    const code = errorCode(e);
    return fail(
      stageResult(
        'http',
        statusFor(e),
        run.mono() - s,
        code === 'DEADLINE'
          ? 'Cut short by the deadline during the HTTP request.'
          : code === 'TIMEOUT'
            ? `HTTP: ${host}:${port} did not answer the request within ${run.ms / 1000} s.`
            : `HTTP request to ${host}:${port} failed (${code}).`,
        {},
        e,
      ),
    );
  }
}

/** 6. WebSocket upgrade on a fresh connection, when the endpoint uses one. */
async function websocketStage(run: ProbeRun, addresses: string[]): Promise<Outcome<undefined>> {
  const { target, ms } = run;
  const { host, port } = target;
  if (!target.websocket) {
    run.stages.push(stageResult('websocket', 'skip', 0, 'This endpoint does not use a WebSocket.', {}));
    return pass(undefined);
  }
  const s = run.mono();
  try {
    const r = await bounded(
      async (c) => {
        const sock = await reopen(target, run.decision, addresses, run.opts.extraCa, c);
        track(run, sock);
        return websocketUpgrade(sock, target);
      },
      ms,
      run.deadline,
      `WebSocket upgrade at ${host}:${port}`,
    );
    run.stages.push(
      stageResult(
        'websocket',
        'pass',
        run.mono() - s,
        `WebSocket upgrade to ${target.wsPath} accepted (101).`,
        r,
      ),
    );
    return pass(undefined);
  } catch (e) {
    const code = errorCode(e);
    const words = code.startsWith('HTTP_')
      ? `WebSocket: ${host} answered ${code.slice(5)} instead of switching protocols: a proxy or firewall in the path strips WebSocket upgrades.`
      : code === 'TIMEOUT'
        ? `WebSocket: no answer to the upgrade within ${ms / 1000} s.`
        : code === 'DEADLINE'
          ? 'Cut short by the deadline during the WebSocket upgrade.'
          : `WebSocket upgrade failed (${code}).`;
    return fail(
      stageResult(
        'websocket',
        statusFor(e),
        run.mono() - s,
        words,
        e instanceof ProbeError ? e.extra : {},
        e,
      ),
    );
  }
}

/** The decision without credentials: what reports may show. */
export function publicDecision(d: ProxyDecision): ProxyDecision {
  if (!d.proxy?.auth) return d;
  const { auth: _auth, ...proxy } = d.proxy;
  return { ...d, proxy: { ...proxy, authenticated: true } as ProxyDecision['proxy'] };
}

function finish(
  endpoint: Endpoint,
  host: string,
  port: number,
  proxy: ProxyDecision,
  stages: StageResult[],
  durationMs: number,
  interception?: InterceptionInfo,
): EndpointResult {
  const bad = stages.find((x) => x.status === 'fail' || x.status === 'timeout');
  const ran = new Set(stages.map((x) => x.stage));
  const all = [...stages];
  for (const name of STAGES) {
    if (!ran.has(name))
      all.push(stageResult(name, 'skip', 0, `Not run: the ${bad?.stage ?? 'previous'} stage failed.`));
  }
  all.sort((a, b) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage));
  return {
    endpoint,
    host,
    port,
    verdict: bad ? (bad.status === 'timeout' ? 'timeout' : 'fail') : 'pass',
    ...(bad ? { failedStage: bad.stage } : {}),
    message: bad ? bad.summary : `All stages passed for ${endpoint.url}.`,
    proxy,
    stages: all,
    ...(interception ? { interception } : {}),
    durationMs: Math.round(durationMs),
  };
}

interface DnsOutcome {
  addresses: string[];
  lookupError?: unknown;
  summary: string;
  details: Record<string, unknown>;
}

async function dnsStage(host: string, ms: number, deadline: AbortSignal | undefined): Promise<DnsOutcome> {
  const resolver = new dns.promises.Resolver({ timeout: Math.max(200, Math.min(ms, 2_000)), tries: 1 });
  const lookupP = bounded(
    async () => (await dns.promises.lookup(host, { all: true })).map((a) => a.address),
    ms,
    deadline,
    `DNS lookup of ${host}`,
  ).then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  const resolveP = bounded(
    async (c) => {
      c(() => resolver.cancel());
      const [a, b] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
      const out = [
        ...(a.status === 'fulfilled' ? a.value : []),
        ...(b.status === 'fulfilled' ? b.value : []),
      ];
      if (out.length === 0 && a.status === 'rejected') throw a.reason;
      return out;
    },
    ms,
    deadline,
    `DNS resolve of ${host}`,
  ).then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  const [lk, rs] = await Promise.all([lookupP, resolveP]);
  const details: Record<string, unknown> = {
    lookup: lk.ok ? lk.v : { error: errorCode(lk.e) },
    resolve: rs.ok ? rs.v : { error: errorCode(rs.e) },
  };
  if (!lk.ok) return { addresses: [], lookupError: lk.e, summary: '', details };
  let summary = `${host} → ${lk.v.join(', ')}`;
  if (!rs.ok) {
    summary += ` (from the OS resolver only: the DNS servers answer ${errorCode(rs.e)}, so a hosts-file entry or a local resolver supplies it)`;
    details.differs = true;
  } else {
    const a = new Set(lk.v);
    const same = rs.v.length === lk.v.length && rs.v.every((x) => a.has(x));
    if (!same) {
      summary += `; DNS servers say ${rs.v.join(', ')} (different: hosts file, split DNS or DNS filtering)`;
      details.differs = true;
    }
  }
  return { addresses: lk.v, summary: `${summary}.`, details };
}

function tlsHandshake(
  socket: net.Socket,
  host: string,
  extraCa: string[] | undefined,
  onCancel: (c: () => void) => void,
  extra: tls.ConnectionOptions = {},
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const ca = rootsWith(extraCa);
    // `host` is the name Node checks the certificate against (without it, "localhost"); SNI
    // (`servername`) is for names only, never for an IP address.
    const sec = tls.connect({
      socket,
      host,
      ...(net.isIP(host) ? {} : { servername: host }),
      minVersion: 'TLSv1.2',
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
      ...(ca ? { ca } : {}),
      ...extra,
    });
    onCancel(() => sec.destroy());
    sec.once('secureConnect', () => {
      sec.removeAllListeners('error');
      sec.on('error', () => undefined);
      // Hostname check is ours to do: rejectUnauthorized:false skips it.
      const cert = sec.getPeerCertificate();
      const hostErr = tls.checkServerIdentity(host, cert);
      if (hostErr && sec.authorized) {
        Object.defineProperty(sec, 'authorized', { value: false });
        Object.defineProperty(sec, 'authorizationError', { value: 'ERR_TLS_CERT_ALTNAME_INVALID' });
      }
      resolve(sec);
    });
    sec.once('error', (e) => {
      sec.destroy();
      reject(e);
    });
  });
}

async function reopen(
  target: Target,
  decision: ProxyDecision,
  addresses: string[],
  extraCa: string[] | undefined,
  c: (cl: () => void) => void,
): Promise<net.Socket> {
  let sock: net.Socket;
  if (decision.mode === 'proxy' && decision.proxy) {
    sock = (await connectTunnel(decision.proxy, target.host, target.port, c)).socket;
  } else {
    sock = await tcpConnect(addresses[0] ?? target.host, target.port, c);
  }
  c(() => sock.destroy());
  if (!target.secure) return sock;
  return tlsHandshake(sock, target.host, extraCa, c);
}

/** The chain a direct connection gets (for comparison with the proxied one), or undefined. */
async function directChainOf(
  host: string,
  port: number,
  extraCa: string[] | undefined,
  ms: number,
  deadline: AbortSignal | undefined,
): Promise<{ chain: CertSummary[]; authorized: boolean } | undefined> {
  try {
    return await bounded(
      async (c) => {
        const sock = await tcpConnect(host, port, c);
        const sec = await tlsHandshake(sock, host, extraCa, c);
        const r = { chain: walkChain(sec), authorized: sec.authorized };
        sec.destroy();
        return r;
      },
      ms,
      deadline,
      'direct TLS comparison',
    );
  } catch {
    return undefined;
  }
}

/** Which old protocol the server speaks, to name it ("TLSv1.1"); undefined when none answers. */
async function legacyProtocolOf(
  host: string,
  port: number,
  decision: ProxyDecision,
  ms: number,
  deadline: AbortSignal | undefined,
): Promise<string | undefined> {
  const target: Target = { host, port, secure: false, websocket: false, path: '/', wsPath: '/' };
  try {
    return await bounded(
      async (c) => {
        const raw = await reopen(target, decision, [host], undefined, c);
        // OpenSSL 3 refuses TLS < 1.2 at its default security level; level 0 only to name the protocol.
        const sec = await tlsHandshake(raw, host, undefined, c, {
          minVersion: 'TLSv1',
          maxVersion: 'TLSv1.1',
          ciphers: 'DEFAULT@SECLEVEL=0',
        });
        const p = sec.getProtocol() ?? undefined;
        sec.destroy();
        return p;
      },
      ms,
      deadline,
      'legacy TLS probe',
    );
  } catch {
    return undefined;
  }
}

function httpRequest(
  stream: net.Socket,
  target: Target,
  onCancel: (c: () => void) => void,
): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    // Plain http over the already-verified stream: https would re-judge the certificate itself.
    const req = http.request({
      host: target.host,
      port: target.port,
      method: 'GET',
      path: target.path,
      headers: { 'user-agent': 'upwork-doctor', 'cache-control': 'no-cache', connection: 'close' },
      // No `agent` at all: agent:false would make a fresh Agent that ignores createConnection.
      createConnection: () => stream,
    });
    onCancel(() => req.destroy());
    req.once('response', (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
      res.resume();
      req.destroy();
    });
    req.once('error', reject);
    req.end();
  });
}

async function websocketUpgrade(sock: net.Socket, target: Target): Promise<Record<string, unknown>> {
  const key = randomBytes(16).toString('base64');
  const hostHeader = net.isIPv6(target.host)
    ? `[${target.host}]:${target.port}`
    : `${target.host}:${target.port}`;
  sock.write(
    [
      `GET ${target.wsPath} HTTP/1.1`,
      `Host: ${hostHeader}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`,
      'Sec-WebSocket-Version: 13',
      'User-Agent: upwork-doctor',
      '',
      '',
    ].join('\r\n'),
  );
  const head = await readResponseHead(sock);
  if (head.status !== 101) {
    throw new ProbeError(`HTTP_${head.status}`, `upgrade answered ${head.status} ${head.statusText}`.trim(), {
      status: head.status,
    });
  }
  const expected = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  if (head.headers['sec-websocket-accept'] !== expected) {
    throw new ProbeError(
      'BAD_ACCEPT',
      'the upgrade answer has a wrong Sec-WebSocket-Accept: something in the path rewrote it',
    );
  }
  // A close frame (masked, code 1000) so the server sees a clean goodbye.
  const mask = randomBytes(4);
  const payload = Buffer.from([0x03, 0xe8]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  sock.write(Buffer.concat([Buffer.from([0x88, 0x80 | payload.length]), mask, masked]));
  return { status: 101, path: target.wsPath };
}

/**
 * A handshake verified against exactly `ca` (e.g. the OS store), to compare with Node's roots.
 * Undefined when no handshake could be made.
 */
export async function handshakeWithRoots(
  endpoint: Endpoint,
  decision: ProxyDecision,
  ca: string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ authorized: boolean; authorizationError?: string } | undefined> {
  const t = parseTarget(endpoint);
  if (!t.secure) return undefined;
  try {
    return await bounded(
      async (c) => {
        const raw = await reopen({ ...t, secure: false }, decision, [t.host], undefined, c);
        const sec = await tlsHandshake(raw, t.host, undefined, c, { ca });
        const r = {
          authorized: sec.authorized,
          ...(sec.authorizationError
            ? {
                authorizationError: String(
                  (sec.authorizationError as unknown as { code?: string }).code ?? sec.authorizationError,
                ),
              }
            : {}),
        };
        sec.destroy();
        return r;
      },
      timeoutMs,
      signal,
      'TLS handshake against the OS store',
    );
  } catch {
    return undefined;
  }
}
