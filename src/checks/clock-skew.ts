/**
 * clock-skew: how far this machine's clock is from the tracker's service time (HTTPS `Date`
 * header, or SNTP with --time-server), and whether the OS keeps it in sync.
 * Why: the service judges uploaded time by its own clock; minutes of skew get segments rejected
 * or filed in the wrong slot, and a clock set by hand in the wrong time zone is off by whole hours.
 * Warn over 30 s, fail over 5 min (after subtracting the measurement's uncertainty).
 */
import { defineCheck, missingFacts } from '../core/check.js';
import type { Platform } from '../core/check.js';
import { factValue } from '../core/facts.js';
import { formatDuration } from '../core/format.js';
import type { ClockFacts } from '../facts/clock.js';

export const WARN_OVER_MS = 30_000;
export const FAIL_OVER_MS = 5 * 60_000;
/** How close to a whole quarter-hour multiple counts as "a time-zone mistake". */
export const ZONE_TOLERANCE_MS = 90_000;

/** Offsets within 90 s of a multiple of 15 min (at least 30 min) look like a wrong time zone. */
export function looksLikeTimeZone(offsetMs: number): boolean {
  const abs = Math.abs(offsetMs);
  if (abs < 30 * 60_000 - ZONE_TOLERANCE_MS) return false;
  const q = 15 * 60_000;
  const rem = abs % q;
  return Math.min(rem, q - rem) <= ZONE_TOLERANCE_MS;
}

/**
 * Linux without timedatectl (no systemd): the time services such systems use instead. Advice
 * must fit what is there, so never `timedatectl` right after "timedatectl is not available".
 */
export const NO_TIMEDATECTL_COMMANDS = ['sudo chronyc makestep', 'sudo ntpdate pool.ntp.org'];
const NO_TIMEDATECTL_TEXT =
  "timedatectl is not available here: sync the clock with the time service this system uses (chrony or ntpdate, below; or start systemd-timesyncd where it is installed), or turn on automatic time in your desktop's date and time settings, then restart the tracker.";

function syncCommands(platform: string, sync: ClockFacts['sync']): string[] {
  if (platform === 'win32') return ['w32tm /resync', 'start ms-settings:dateandtime'];
  if (platform === 'darwin') return ['sudo systemsetup -setusingnetworktime on'];
  return sync.source === 'timedatectl' ? ['sudo timedatectl set-ntp true'] : NO_TIMEDATECTL_COMMANDS;
}

const UTC_NOTE =
  'The tracker\'s own clock is UTC: the Work Diary shows segments in UTC unless you change its time zone, so "missing hours" are often just shifted.';

/** "UTC", "UTC+5:30", "UTC-4" */
export function utcOffsetText(minutes: number): string {
  if (minutes === 0) return 'UTC';
  const a = Math.abs(minutes);
  return `UTC${minutes > 0 ? '+' : '-'}${Math.floor(a / 60)}${a % 60 ? `:${String(a % 60).padStart(2, '0')}` : ''}`;
}

export const clockSkew = defineCheck({
  id: 'clock-skew',
  title: 'Clock accuracy',
  category: 'system',
  platforms: ['win32', 'darwin', 'linux'] as Platform[],
  needs: ['clock'],
  docs: 'docs/checks/clock-skew.md',
  codePrefix: 'UWD-CLOCK',
  timeoutMs: 1_000,
  run(facts) {
    const missing = missingFacts(this, facts);
    if (missing) return missing;
    const c = factValue(facts, 'clock')!;
    const ref = c.service
      ? {
          kind: 'service',
          name: c.service.url,
          offsetMs: c.service.offsetMs,
          uncertaintyMs: c.service.uncertaintyMs,
        }
      : c.sntp
        ? {
            kind: 'sntp',
            name: c.sntp.server,
            offsetMs: c.sntp.offsetMs,
            uncertaintyMs: Math.round(c.sntp.delayMs / 2),
          }
        : undefined;
    const syncText =
      c.sync.automatic === true
        ? `Automatic time sync is on (${c.sync.source}${c.sync.server ? `, ${c.sync.server}` : ''})${c.sync.synchronized === false ? ', but the clock is not synchronised yet' : ''}.`
        : c.sync.automatic === false
          ? `Automatic time sync is off (${c.sync.source})${c.sync.note ? `: ${c.sync.note}` : ''}.`
          : `Whether the OS syncs time automatically is unknown${c.sync.note ? `: ${c.sync.note}` : ''}.`;
    const evidence: Record<string, unknown> = {
      reference: ref,
      serviceUrl: c.serviceUrl,
      serviceError: c.serviceError,
      serviceFailedStage: c.serviceFailedStage,
      sntp: c.sntp,
      sntpError: c.sntpError,
      sync: c.sync,
      timeZone: c.timeZone,
      utcOffsetMinutes: c.utcOffsetMinutes,
      collectedAt: facts.collectedAt,
      warnOverMs: WARN_OVER_MS,
      failOverMs: FAIL_OVER_MS,
    };
    const offsetText = utcOffsetText(c.utcOffsetMinutes);
    // "Time zone: UTC.", never "UTC (UTC)".
    const zone = c.timeZone === offsetText ? c.timeZone : `${c.timeZone} (${offsetText})`;
    const details = [syncText, `Time zone: ${zone}.`];
    if (c.sntpError) details.push(`SNTP: ${c.sntpError}.`);
    const noTimedatectl = facts.platform === 'linux' && c.sync.source !== 'timedatectl';
    const fix = {
      text: noTimedatectl
        ? NO_TIMEDATECTL_TEXT
        : 'Turn on automatic date and time, let it sync, then restart the tracker.',
      commands: syncCommands(facts.platform, c.sync),
      docsUrl: 'docs/checks/clock-skew.md',
      fixIds: ['clock-sync'],
    };
    if (!ref) {
      const why = (c.serviceError ?? 'no time source').replace(/\.$/, '');
      return {
        status: 'skip',
        code: 'UWD-CLOCK-005',
        summary: c.serviceFailedStage
          ? `Not checked: ${c.serviceUrl} cannot be reached (${c.serviceFailedStage} stage), so the clock's offset against Upwork's time is unknown: ${why}. See "Connection to Upwork".`
          : `Not checked: the service time could not be read, so the clock's offset is unknown: ${why}.`,
        details,
        evidence,
      };
    }
    const offset = ref.offsetMs;
    const effective = Math.max(0, Math.abs(offset) - ref.uncertaintyMs);
    const dir = offset > 0 ? 'ahead of' : 'behind';
    const words = `${formatDuration(Math.abs(offset))} ${dir} the ${ref.kind === 'service' ? 'service' : 'time server'}, ±${formatDuration(ref.uncertaintyMs)}`;
    details.unshift(`This clock is ${words}, measured against ${ref.name}.`);
    if (effective > WARN_OVER_MS && looksLikeTimeZone(offset)) {
      details.push(UTC_NOTE);
      return {
        status: effective > FAIL_OVER_MS ? 'fail' : 'warn',
        code: 'UWD-CLOCK-004',
        summary: `Your clock is ${words}, almost exactly ${Math.round(Math.abs(offset) / 900_000) / 4} h: the time zone is wrong, not the clock, so tracked time lands in the wrong hours.`,
        details,
        evidence,
        remediation: {
          ...fix,
          text: 'Set the correct time zone (not the time) in the date and time settings, turn on automatic time, then restart the tracker.',
        },
      };
    }
    if (effective > FAIL_OVER_MS) {
      details.push(UTC_NOTE);
      return {
        status: 'fail',
        code: 'UWD-CLOCK-003',
        summary: `Your clock is ${words}: the service can reject or misfile tracked time and secure connections may fail.`,
        details,
        evidence,
        remediation: fix,
      };
    }
    if (effective > WARN_OVER_MS) {
      return {
        status: 'warn',
        code: 'UWD-CLOCK-002',
        summary: `Your clock is ${words}: segments may be filed a little off and sign-in tokens can be refused.`,
        details,
        evidence,
        remediation: fix,
      };
    }
    if (c.sync.automatic === false) {
      return {
        status: 'warn',
        code: 'UWD-CLOCK-006',
        summary: `Your clock is right for now (${words}), but automatic time sync is off, so it will drift.`,
        details,
        evidence,
        remediation: fix,
      };
    }
    return {
      status: 'pass',
      code: 'UWD-CLOCK-001',
      summary: `Your clock matches ${ref.kind === 'sntp' ? 'the time server' : 'the service time'} (${words}).`,
      details,
      evidence,
    };
  },
});
