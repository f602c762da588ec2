/**
 * clock: this machine's clock against the tracker's service time (HTTPS `Date`, several samples)
 * and, with --time-server, SNTP; plus whether the OS syncs time automatically and the time zone.
 * Why: the service rejects or misfiles time from a clock that is minutes off, and a clock set by
 * hand in the wrong time zone shifts every segment by whole hours.
 */
import { defineCollector } from '../core/collector.js';
import { parseTimeServer, sampleServiceTime, sntpQuery } from '../network/clock.js';
import type { ServiceTime, SntpResult } from '../network/clock.js';
import {
  probeService,
  serviceDecision,
  serviceTarget,
  SERVICE_STAGE_TIMEOUT_MS,
} from './service.js';
import { windowsSection } from './windows.js';

export interface ClockSync {
  /** Where the status came from. */
  source: 'timedatectl' | 'w32tm' | 'systemsetup' | 'none';
  /** The OS sets the time automatically (NTP on); null when unknown. */
  automatic: boolean | null;
  /** The OS reports the clock synchronised; null when unknown. */
  synchronized: boolean | null;
  server?: string;
  /** Why the status is unknown, or extra words from the OS. */
  note?: string;
}

export interface ClockFacts {
  /** Offset against the service's Date header (local − service). */
  service?: ServiceTime;
  serviceError?: string;
  /** The probe stage that failed when the service could not be reached (dns, tcp, tls, …). */
  serviceFailedStage?: string;
  serviceUrl: string;
  sntp?: SntpResult;
  sntpError?: string;
  sync: ClockSync;
  timeZone: string;
  /** Minutes east of UTC at collection time. */
  utcOffsetMinutes: number;
}

declare module '../core/facts.js' {
  interface FactMap {
    clock: ClockFacts;
  }
}

/** `timedatectl show`: KEY=value lines. */
export function parseTimedatectl(text: string): ClockSync {
  const kv: Record<string, string> = {};
  for (const l of text.split(/\r?\n/)) {
    const i = l.indexOf('=');
    if (i > 0) kv[l.slice(0, i).trim()] = l.slice(i + 1).trim();
  }
  const yn = (v?: string) => (v === 'yes' ? true : v === 'no' ? false : null);
  const sync: ClockSync = {
    source: 'timedatectl',
    automatic: yn(kv.NTP),
    synchronized: yn(kv.NTPSynchronized),
  };
  if (kv.CanNTP === 'no') sync.note = 'no NTP service is installed (CanNTP=no)';
  return sync;
}

export interface W32tmJson {
  status?: string | null;
  type?: string | null;
  ntpServer?: string | null;
}

/** The Windows batch: `w32tm /query /status` text plus the W32Time Parameters values. */
export function parseW32tm(j: W32tmJson): ClockSync {
  const text = j.status ?? '';
  const type = (j.type ?? '').trim();
  const source = /^Source:\s*(.+)$/im.exec(text)?.[1]?.trim();
  const notRunning = /0x80070426|service has not been started/i.test(text);
  const local = source ? /Local CMOS Clock|Free-running System Clock/i.test(source) : false;
  const automatic = notRunning || type.toLowerCase() === 'nosync' ? false : type ? true : null;
  const synchronized = notRunning || local ? false : source ? true : null;
  const sync: ClockSync = { source: 'w32tm', automatic, synchronized };
  const server =
    source && !local
      ? source.replace(/,0x[0-9a-f]+$/i, '')
      : (j.ntpServer ?? undefined)?.replace(/,0x[0-9a-f]+/gi, '');
  if (server) sync.server = server;
  if (notRunning) sync.note = 'the Windows Time service is not running';
  else if (local) sync.note = `the clock runs from ${source}, not a time server`;
  return sync;
}

/** `systemsetup -getusingnetworktime`: "Network Time: On"; it needs admin on recent macOS. */
export function parseSystemsetup(text: string): ClockSync {
  const m = /Network Time:\s*(On|Off)/i.exec(text);
  if (m) return { source: 'systemsetup', automatic: m[1]!.toLowerCase() === 'on', synchronized: null };
  return {
    source: 'systemsetup',
    automatic: null,
    synchronized: null,
    note: /administrator/i.test(text)
      ? 'systemsetup needs administrator rights to tell'
      : `systemsetup said: ${text.trim().slice(0, 120)}`,
  };
}

export const clockCollector = defineCollector({
  key: 'clock',
  scope: 'world',
  simulatedByScenario: true,
  title: 'clock and time sync',
  timeoutMs: 14_000,
  async collect({ ctx, options, signal, source, waitingOn }) {
    const target = serviceTarget(ctx, options);
    // Before the service probe: on Windows this joins (or starts) the run's one PowerShell batch, which
    // the probe's proxy decision then reads too.
    const syncP = (async (): Promise<ClockSync> => {
      if (ctx.platform === 'linux') {
        source('command', 'timedatectl show');
        const r = await ctx.exec('timedatectl', ['show'], { timeoutMs: 4_000 });
        if (r.code === 0) return parseTimedatectl(r.stdout);
        return {
          source: 'none',
          automatic: null,
          synchronized: null,
          note: 'timedatectl is not available (no systemd)',
        };
      }
      if (ctx.platform === 'win32') {
        source('command', 'w32tm /query /status');
        source('registry', 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\W32Time\\Parameters');
        try {
          return parseW32tm((await windowsSection(ctx, 'timeService', options, 8_000)) as W32tmJson);
        } catch (e) {
          return {
            source: 'none',
            automatic: null,
            synchronized: null,
            note: `PowerShell did not return the time settings (${(e as Error).message})`,
          };
        }
      }
      if (ctx.platform === 'darwin') {
        source('command', 'systemsetup -getusingnetworktime');
        const r = await ctx.exec('/usr/sbin/systemsetup', ['-getusingnetworktime'], { timeoutMs: 4_000 });
        return parseSystemsetup(`${r.stdout}\n${r.stderr}`);
      }
      return { source: 'none', automatic: null, synchronized: null };
    })();

    const serviceP = (async (): Promise<
      Pick<ClockFacts, 'service' | 'serviceError' | 'serviceFailedStage'>
    > => {
      waitingOn(`the service time at ${target.endpoint.url}`);
      source('url', target.endpoint.url);
      const probe = await probeService(ctx, target, signal);
      const reached = probe.stages.find((s) => s.stage === 'http')?.status === 'pass';
      if (!reached)
        return {
          serviceError: probe.message,
          ...(probe.failedStage ? { serviceFailedStage: probe.failedStage } : {}),
        };
      try {
        const decision = await serviceDecision(ctx, target.endpoint.url);
        const service = await sampleServiceTime({
          url: target.endpoint.url,
          decision,
          extraCa: target.extraCa,
          timeoutMs: SERVICE_STAGE_TIMEOUT_MS,
          signal,
          now: () => ctx.now(),
          monotonic: () => ctx.monotonic(),
        });
        return { service };
      } catch (e) {
        return { serviceError: e instanceof Error ? e.message : String(e) };
      }
    })();

    const sntpP = (async (): Promise<Pick<ClockFacts, 'sntp' | 'sntpError'>> => {
      const server = typeof options.timeServer === 'string' ? options.timeServer : undefined;
      if (!server) return {};
      try {
        parseTimeServer(server);
      } catch (e) {
        return { sntpError: (e as Error).message };
      }
      source('url', server);
      try {
        return { sntp: await sntpQuery(server, { timeoutMs: 3_000, now: () => ctx.now(), signal }) };
      } catch (e) {
        // Only silence points at a firewall; a rejected reply already says what was wrong with it.
        const code = (e as { code?: unknown }).code;
        const hint = code === 'TIMEOUT' ? ' (UDP 123 is often blocked on managed networks)' : '';
        return { sntpError: `${(e as Error).message}${hint}` };
      }
    })();

    const [sync, service, sntp] = await Promise.all([syncP, serviceP, sntpP]);
    const now = new Date(ctx.now());
    return {
      ...service,
      ...sntp,
      serviceUrl: target.endpoint.url,
      sync,
      timeZone: ctx.env.TZ || Intl.DateTimeFormat().resolvedOptions().timeZone || 'unknown',
      utcOffsetMinutes: -now.getTimezoneOffset(),
    };
  },
});
