/**
 * helper-cpu: how much CPU the tracker's processes (the app, `Upwork Helper`, Electron helpers)
 * used over the sampling window, as % of one core; and whether several app versions run at once.
 * Why: a Helper stuck in a busy loop drains the battery, heats the laptop and delays screenshots;
 * two versions running at once fight over the same work diary. Warn over 25 %, fail over 60 %.
 */
import { defineCheck, missingFacts } from '../core/check.js';
import { factValue } from '../core/facts.js';
import type { TrackerProcess } from '../facts/processes.js';

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

function restartCommands(platform: string): string[] {
  if (platform === 'darwin')
    return ['osascript -e \'quit app "Upwork"\'', 'open -a Upwork --args --enable-gpu'];
  if (platform === 'win32') return ['taskkill /IM "Upwork Helper.exe" /T', 'taskkill /IM Upwork.exe /T'];
  return ['pkill -x "Upwork Helper"'];
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
    const rows = p.tracker.map((t) => ({
      pid: t.pid,
      name: t.name,
      role: t.role,
      cpuPercent: t.cpuPercent,
      version: t.version,
      path: t.path,
    }));
    const evidence = {
      windowSec: p.windowSec,
      method: p.method,
      unit: '% of one core',
      warnOver: WARN_OVER,
      failOver: FAIL_OVER,
      processes: rows,
    };
    if (p.tracker.length === 0) {
      return {
        status: 'skip',
        code: 'UWD-CPU-005',
        summary: 'Not checked: no Upwork tracker process is running, so there is no CPU use to measure.',
        evidence,
      };
    }
    const describe = (t: TrackerProcess) =>
      `${t.name} (pid ${t.pid}, ${t.role}): ${t.cpuPercent === null ? 'not measured' : `${t.cpuPercent} %`} of one core${t.version ? `, version ${t.version}` : ''}`;
    const details = [
      ...p.tracker.map(describe),
      `Measured over ${p.windowSec} s from cumulative CPU time (${p.method}); ${p.cores} cores.`,
    ];
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
          text: 'Quit every Upwork window and the Upwork Helper, then start only the newest copy. Remove the others (see the duplicate-installs check).',
          commands: restartCommands(facts.platform),
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
      text:
        facts.platform === 'darwin'
          ? 'Quit Upwork and start it again with GPU acceleration on (the command below). If it keeps using this much CPU, send support a bundle.'
          : 'Quit Upwork (including the Upwork Helper) and start it again. If it keeps using this much CPU, send support a bundle.',
      commands: restartCommands(facts.platform),
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
