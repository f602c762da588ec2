/**
 * helper-cpu: how much CPU the tracker's processes (the app and its Electron children: the macOS
 * `Upwork Helper` bundles, `--type=…` children on Windows and Linux) used over the sampling window,
 * as % of one core; and whether several app versions run at once. Only the target's processes
 * count (its install folders, or the pids the reference engine recorded); a name-alike elsewhere is
 * mentioned, never measured.
 * Why: a renderer or Helper stuck in a busy loop drains the battery, heats the laptop and delays
 * screenshots; two versions running at once fight over the same work diary. Warn over 25 %, fail
 * over 60 %.
 */
import { defineCheck, missingFacts } from '../core/check.js';
import { factValue } from '../core/facts.js';
import type { ProcessesFacts, TrackerProcess } from '../facts/processes.js';

export const WARN_OVER = 25;
export const FAIL_OVER = 60;
const DOCS = 'docs/checks/helper-cpu.md';

/** Which copy of the app a process belongs to: its version, else the folder or bundle it runs from. */
export function copyKey(p: Pick<TrackerProcess, 'version' | 'path'>): string | undefined {
  if (p.version) return `version ${p.version}`;
  if (!p.path) return undefined;
  const app = p.path.indexOf('.app/');
  if (app >= 0) return p.path.slice(0, app + 4);
  const i = Math.max(p.path.lastIndexOf('/'), p.path.lastIndexOf('\\'));
  return i > 0 ? p.path.slice(0, i) : p.path;
}

/** The app's root process (its own `app` role), for exact restart commands. */
function appProcess(tracker: readonly TrackerProcess[]): TrackerProcess | undefined {
  return tracker.find((t) => t.role === 'app') ?? tracker[0];
}

/**
 * What to do per OS. macOS: Upwork's own advice for a busy Helper (quit, start with
 * `--enable-gpu`). Windows and Linux have no Helper and no such advice: quit the app and start it
 * again, by the pid and path measured here (never by name, which would hit name-alikes too).
 */
export function restartAdvice(
  platform: string,
  tracker: readonly TrackerProcess[],
  onEngine = false,
): { text: string; commands: string[] } {
  if (onEngine)
    return {
      text: 'The reference engine models the macOS remedy: its Helper is restarted with --enable-gpu while tracking is off (the fix below).',
      commands: ['upwork-doctor fix --only helper-restart-gpu'],
    };
  if (platform === 'darwin')
    return {
      text: "Upwork's advice for a busy Upwork Helper on macOS: quit Upwork and start it again with GPU acceleration on (the command below). If it keeps using this much CPU, send support a bundle.",
      commands: ['osascript -e \'quit app "Upwork"\'', 'open -a Upwork --args --enable-gpu'],
    };
  const app = appProcess(tracker);
  const exe = platform === 'win32' ? 'Upwork.exe' : 'upwork';
  const commands = app
    ? platform === 'win32'
      ? [
          `taskkill /PID ${app.pid} /T`,
          app.path ? `start "" "${app.path}"` : 'start Upwork from the Start menu',
        ]
      : [`kill ${app.pid}`, app.path ? `${app.path} &` : 'upwork &']
    : [];
  return {
    text: `Quit Upwork from its ${platform === 'win32' ? 'tray icon' : 'tray menu'} (stop tracking first), check that no ${exe} process of it is left, and start ${exe} again. If it keeps using this much CPU, send support a bundle.`,
    commands,
  };
}

function evidenceOf(p: ProcessesFacts) {
  return {
    windowSec: p.windowSec,
    method: p.method,
    unit: '% of one core',
    warnOver: WARN_OVER,
    failOver: FAIL_OVER,
    processes: p.tracker.map((t) => ({
      pid: t.pid,
      name: t.name,
      role: t.role,
      cpuPercent: t.cpuPercent,
      version: t.version,
      path: t.path,
    })),
    ...(p.scope ? { scope: p.scope.how } : {}),
    ...(p.ignored?.length ? { ignored: p.ignored } : {}),
    ...(p.samples ? { samples: p.samples } : {}),
  };
}

/** Lines for the details: each process, how it was measured, what made them the tracker's, and name-alikes. */
function detailsOf(p: ProcessesFacts): string[] {
  const describe = (t: TrackerProcess) =>
    `${t.name} (pid ${t.pid}, ${t.role}): ${t.cpuPercent === null ? 'not measured' : `${t.cpuPercent} %`} of one core${t.version ? `, version ${t.version}` : ''}`;
  const points = p.samples?.series.reduce((n, s) => Math.max(n, s.points.length), 0) ?? 0;
  return [
    ...p.tracker.map(describe),
    `Measured over ${p.windowSec} s from cumulative CPU time (${p.method}${points > 1 ? `, ${points} samples` : ''}); ${p.cores} cores.`,
    ...(p.scope?.how.length
      ? [`The tracker's processes: ${p.scope.how.join('; ')}, and their children.`]
      : []),
    ...(p.ignored ?? []).map(
      (i) =>
        `Not the tracker, ignored: ${i.name} (pid ${i.pid}${i.path ? `, ${i.path}` : ''}) has its name but runs from elsewhere.`,
    ),
  ];
}

export const helperCpu = defineCheck({
  id: 'helper-cpu',
  title: 'Tracker CPU use',
  category: 'tracker',
  platforms: ['win32', 'darwin', 'linux'],
  needs: ['processes'],
  docs: DOCS,
  codePrefix: 'UWD-CPU',
  run(facts) {
    const missing = missingFacts(this, facts);
    if (missing) return missing;
    const p = factValue(facts, 'processes')!;
    const evidence = evidenceOf(p);
    const details = detailsOf(p);
    if (p.tracker.length === 0) {
      return {
        status: 'skip',
        code: 'UWD-CPU-005',
        summary: p.ignored?.length
          ? `Not checked: no process of this tracker is running (${p.ignored.length} process(es) with its name run from elsewhere and were ignored).`
          : 'Not checked: no Upwork tracker process is running, so there is no CPU use to measure.',
        details,
        evidence,
      };
    }
    const copies = new Set(
      p.tracker.filter((t) => t.role === 'app' || t.role === 'helper').flatMap((t) => copyKey(t) ?? []),
    );
    if (copies.size > 1) {
      return {
        status: 'fail',
        code: 'UWD-CPU-004',
        summary: `${copies.size} different copies of the Upwork app are running at once (${[...copies].join('; ')}), so they compete for your tracked time.`,
        details,
        evidence: { ...evidence, copies: [...copies] },
        remediation: {
          text: 'Quit every copy of Upwork, then start only the newest one. Remove the others (see the duplicate-installs check).',
          commands: restartAdvice(facts.platform, p.tracker, facts.target.kind !== 'installed').commands,
          docsUrl: DOCS,
          fixIds: ['duplicates'],
        },
      };
    }
    const measured = p.tracker.filter((t) => t.cpuPercent !== null);
    if (measured.length === 0) {
      return {
        status: 'skip',
        code: 'UWD-CPU-006',
        summary:
          "Not checked: the tracker's processes ended or could not be read during the sampling window.",
        details,
        evidence,
      };
    }
    const top = measured.reduce((a, b) => (b.cpuPercent! > a.cpuPercent! ? b : a));
    const fix = {
      ...restartAdvice(facts.platform, p.tracker, facts.target.kind !== 'installed'),
      docsUrl: DOCS,
      fixIds: ['helper-restart-gpu'],
    };
    if (top.cpuPercent! > FAIL_OVER) {
      return {
        status: 'fail',
        code: 'UWD-CPU-003',
        summary: `${top.name} used ${top.cpuPercent} % of a CPU core for ${p.windowSec} s: it is stuck busy, which drains the battery and can delay screenshots.`,
        details,
        evidence,
        remediation: fix,
      };
    }
    if (top.cpuPercent! > WARN_OVER) {
      return {
        status: 'warn',
        code: 'UWD-CPU-002',
        summary: `${top.name} used ${top.cpuPercent} % of a CPU core for ${p.windowSec} s, more than a tracker should while idle.`,
        details,
        evidence,
        remediation: fix,
      };
    }
    return {
      status: 'pass',
      code: 'UWD-CPU-001',
      summary: `The tracker's processes used at most ${top.cpuPercent} % of a CPU core over ${p.windowSec} s.`,
      details,
      evidence,
    };
  },
});
