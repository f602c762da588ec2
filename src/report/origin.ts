/**
 * Whose world a report speaks about, in words shared by the text, JSON and HTML renderers: which
 * tracker was read, which findings a scenario simulated or describe the reference tracker, and
 * the commands to print so that following them acts on the same tracker. Pure.
 */
import type { TargetInfo } from '../core/facts.js';
import type { Finding, Remediation } from '../core/finding.js';

/** The target in a few words, for the report's first line. */
export function targetLabel(t: TargetInfo): string {
  if (t.kind === 'scenario') return `scenario "${t.scenario ?? '?'}" on the built-in reference tracker`;
  if (t.kind === 'embedded' || t.reference) return 'built-in reference tracker (not an Upwork app)';
  return 'installed Upwork app';
}

/** "simulated by scenario X" or "reference tracker", for a finding that is not about this machine's real state. */
export function originTag(f: Pick<Finding, 'simulated' | 'referenceTracker'>): string | undefined {
  if (f.simulated) return `simulated by scenario ${f.simulated.scenario}`;
  if (f.referenceTracker) return 'reference tracker';
  return undefined;
}

/** Subcommands that take the target options (--scenario, --data-dir, --app-dir, --target); undo uses them to pick the run. */
const TARGETED = new Set(['fix', 'undo', 'bundle', 'network', 'check']);

/** Quote an argument only when the shell would split it. */
function shellArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/**
 * `cmd` with the options that chose this run's target, when it is an upwork-doctor command that
 * reads the tracker (fix, bundle, network, the checks); `engine` commands get the data folder.
 * Commands that already name a target, and other programs' commands, are left alone.
 */
export function withTargetArgs(
  cmd: string,
  target: Pick<TargetInfo, 'args' | 'dataDir' | 'reference' | 'kind'>,
): string {
  const m = /^upwork-doctor(?:\s+(\S+))?/.exec(cmd);
  if (!m || /\s--(scenario|data-dir|target|app-dir)\b/.test(cmd)) return cmd;
  const sub = m[1] && !m[1].startsWith('-') ? m[1] : 'check';
  if (sub === 'engine') {
    return target.kind !== 'installed' && target.reference
      ? `${cmd} --data-dir ${shellArg(target.dataDir)}`
      : cmd;
  }
  if (!TARGETED.has(sub) || !target.args || target.args.length === 0) return cmd;
  return `${cmd} ${target.args.map(shellArg).join(' ')}`;
}

/** The `upwork-doctor fix` line for a remediation, unless its commands already say it. */
export function fixCommand(
  r: Remediation,
  target?: Parameters<typeof withTargetArgs>[1],
): string | undefined {
  if (r.fixIds.length === 0) return undefined;
  if (r.commands.some((c) => c.startsWith('upwork-doctor fix'))) return undefined;
  const cmd = `upwork-doctor fix --only ${r.fixIds.join(',')}`;
  return target ? withTargetArgs(cmd, target) : cmd;
}

/** The finding with its printed commands carrying the run's target options. */
export function findingInContext(f: Finding, target: TargetInfo): Finding {
  if (!f.remediation || f.remediation.commands.length === 0) return f;
  return {
    ...f,
    remediation: { ...f.remediation, commands: f.remediation.commands.map((c) => withTargetArgs(c, target)) },
  };
}
