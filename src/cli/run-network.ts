/** The body of `upwork-doctor network`: endpoints, proxy settings, probes, report, exit code. */
import { readFile } from 'node:fs/promises';
import { createContext } from '../core/context.js';
import type { Context } from '../core/context.js';
import { UserError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { TOOL_NAME, toolVersion } from '../core/version.js';
import { readProxyFacts } from '../facts/proxy.js';
import type { ProxyFacts } from '../facts/proxy.js';
import { NETWORK_SCHEMA_VERSION, diagnose } from '../network/diagnose.js';
import {
  REFERENCE_SERVER_NAME,
  endpointFromUrl,
  parseEndpointsFile,
  upworkEndpoints,
} from '../network/endpoints.js';
import { CAUSE_WORDS, classifyReachability, networkPulse, reachEndpoint } from '../network/reachability.js';
import { loadPacText } from '../network/pac.js';
import { PacLimitError, compilePac, envProxy, parseProxyServer, redactProxyUrl } from '../network/proxy.js';
import type { NetworkReport } from '../network/render.js';
import { renderNetworkJson, renderNetworkJunit, renderNetworkText } from '../network/render.js';
import type { Endpoint, EndpointResult } from '../network/types.js';
import { prepareTarget } from '../targets/prepare.js';
import type { PreparedTarget } from '../targets/prepare.js';
import { resolveTarget } from '../targets/resolve.js';
import { logLevelFor } from './options.js';
import type { OutputFlags, TargetFlags } from './options.js';
import { emitReport } from './output.js';

export interface NetworkOptions extends OutputFlags, TargetFlags {
  endpoint?: string[];
  endpoints?: string;
  proxy?: string;
  pac?: string;
  ca?: string[];
  format: 'text' | 'json' | 'junit' | 'html';
  json?: boolean;
  output?: string;
  timeout: number;
  deadline: number;
}

async function readUserFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new UserError(`Cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}.`);
  }
}

async function endpointsFrom(opts: NetworkOptions): Promise<Endpoint[] | undefined> {
  const list: Endpoint[] = [];
  for (const u of opts.endpoint ?? []) {
    try {
      list.push(endpointFromUrl(u));
    } catch (e) {
      throw new UserError(`--endpoint ${(e as Error).message}.`);
    }
  }
  if (opts.endpoints) {
    const text = await readUserFile(opts.endpoints, 'the endpoints file');
    try {
      list.push(...parseEndpointsFile(text));
    } catch (e) {
      throw new UserError(`${opts.endpoints} is not an endpoints file: ${(e as Error).message}.`);
    }
  }
  return list.length > 0 ? list : undefined;
}

/**
 * With no --endpoint: Upwork's hosts, on every target. The engine's reference server is added only
 * with --target embedded or --scenario, labelled as simulated: it never stands in for Upwork.
 */
async function defaultEndpoints(
  opts: NetworkOptions,
  ctx: Context,
): Promise<{ endpoints: Endpoint[]; extraCa: string[]; prepared?: PreparedTarget }> {
  const endpoints = upworkEndpoints(ctx.env);
  if (opts.target !== 'embedded' && !opts.scenario) return { endpoints, extraCa: [] };
  const target = await resolveTarget(opts, ctx);
  const prepared = await prepareTarget(target, ctx);
  const url = prepared.options.serviceUrl;
  if (!url) return { endpoints, extraCa: [], prepared };
  endpoints.push(endpointFromUrl(url, REFERENCE_SERVER_NAME));
  return { endpoints, extraCa: prepared.options.extraCaPem ? [prepared.options.extraCaPem] : [], prepared };
}

/** One line naming why Upwork's hosts cannot be reached (offline, DNS, proxy, firewall), if they cannot. */
async function causeNote(results: EndpointResult[], ctx: Context): Promise<string | undefined> {
  const upwork = results.filter((r) => r.endpoint.name !== REFERENCE_SERVER_NAME).map(reachEndpoint);
  if (upwork.every((e) => e.verdict === 'pass')) return undefined;
  const dnsFailed = upwork.some((e) => e.failedStage === 'dns');
  const r = classifyReachability(upwork, await networkPulse(ctx.env, dnsFailed));
  return `Upwork cannot be reached: ${CAUSE_WORDS[r.cause]} (${r.failedStage ?? '?'} stage): ${r.words}.`;
}

export async function runNetworkCommand(opts: NetworkOptions, ctxIn?: Context): Promise<number> {
  const ctx =
    ctxIn ?? createContext({ logLevel: logLevelFor(opts), color: opts.color === false ? false : undefined });
  const format = opts.json ? 'json' : opts.format;
  const t0 = ctx.monotonic();
  const startedAt = new Date(ctx.now()).toISOString();
  const override = opts.proxy && opts.proxy !== 'auto' ? opts.proxy : undefined;
  if (override && override !== 'none' && !parseProxyServer(override)) {
    throw new UserError(
      `--proxy must be a proxy URL (http://host:port), "auto" or "none" (got "${redactProxyUrl(override)}").`,
    );
  }
  const extraCa: string[] = [];
  for (const f of opts.ca ?? []) {
    const pem = await readUserFile(f, 'the CA file');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new UserError(`${f} holds no PEM certificate.`);
    extraCa.push(pem);
  }

  let endpoints = await endpointsFrom(opts);
  let prepared: PreparedTarget | undefined;
  try {
    if (!endpoints) {
      const d = await defaultEndpoints(opts, ctx);
      endpoints = d.endpoints;
      prepared = d.prepared;
      extraCa.push(...d.extraCa);
    }

    // Bounded like everything else: a hung gsettings or PowerShell must not eat the deadline.
    let facts: ProxyFacts = { env: {} };
    if (!override) {
      try {
        facts = await Promise.race([
          readProxyFacts({ ctx, source: () => undefined, waitingOn: () => undefined }),
          new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timed out')), 8_000).unref()),
        ]);
      } catch (e) {
        ctx.logger.warn(
          `could not read the system proxy settings (${(e as Error).message}); using the environment only.`,
        );
      }
    }
    const pacSource = opts.pac ?? (!override ? facts.system?.pacUrl : undefined);
    let pac: Awaited<ReturnType<typeof compilePac>> | undefined;
    if (pacSource) {
      try {
        pac = await compilePac(await loadPacText(pacSource, opts.timeout * 1000));
      } catch (e) {
        if (opts.pac) throw new UserError(`Cannot use the PAC file ${opts.pac}: ${(e as Error).message}.`);
        ctx.logger.warn(`the system's PAC file ${pacSource} could not be loaded: ${(e as Error).message}`);
      }
    }
    const remaining = Math.max(100, opts.deadline * 1000 - (ctx.monotonic() - t0));
    let result;
    try {
      result = await diagnose({
        endpoints,
        platform: ctx.platform,
        env: envProxy(ctx.env),
        ...(facts.system ? { system: facts.system } : {}),
        ...(override ? { override } : {}),
        ...(pac && pacSource ? { pac: { evaluate: pac.evaluate, source: pacSource } } : {}),
        stageTimeoutMs: opts.timeout * 1000,
        deadlineMs: remaining,
        ...(extraCa.length ? { extraCa } : {}),
        monotonic: () => ctx.monotonic(),
      });
    } catch (e) {
      if (e instanceof PacLimitError) throw new UserError(`The PAC file ${pacSource}: ${e.message}.`);
      throw e;
    } finally {
      pac?.dispose();
    }
    const cause = await causeNote(result.endpoints, ctx);
    if (cause) result.notes.push(cause);
    const summary = {
      total: result.endpoints.length,
      pass: result.endpoints.filter((e) => e.verdict === 'pass').length,
      fail: result.endpoints.filter((e) => e.verdict === 'fail').length,
      timeout: result.endpoints.filter((e) => e.verdict === 'timeout').length,
    };
    const exitCode =
      result.deadlineHit || summary.timeout > 0
        ? ExitCode.Deadline
        : summary.fail > 0
          ? ExitCode.Failed
          : ExitCode.Ok;
    const envShown: Record<string, string> = {};
    const env = envProxy(ctx.env);
    for (const v of [env.https, env.http, env.noProxy])
      if (v) envShown[v.name] = v === env.noProxy ? v.value : redactProxyUrl(v.value);
    const report: NetworkReport = {
      schemaVersion: NETWORK_SCHEMA_VERSION,
      tool: { name: TOOL_NAME, version: toolVersion() },
      startedAt,
      durationMs: Math.round(ctx.monotonic() - t0),
      deadlineHit: result.deadlineHit,
      hostname: ctx.hostname,
      proxy: {
        ...(override ? { override: redactProxyUrl(override) } : {}),
        ...(pacSource ? { pac: pacSource } : {}),
        ...(facts.system ? { system: facts.system } : {}),
        ...(facts.winhttp ? { winhttp: facts.winhttp } : {}),
        env: envShown,
      },
      notes: result.notes,
      endpoints: result.endpoints,
      summary,
      exitCode,
    };
    const rendered =
      format === 'json'
        ? renderNetworkJson(report)
        : format === 'junit'
          ? renderNetworkJunit(report)
          : format === 'html'
            ? (await import('../report/html/network.js')).renderNetworkHtml(report)
            : renderNetworkText(report, {
                unicode: ctx.unicode,
                verbose: opts.verbose,
              });
    await emitReport(ctx, rendered, opts.output, opts.open ? { format, name: 'network' } : undefined);
    return exitCode;
  } finally {
    await prepared?.dispose();
  }
}
