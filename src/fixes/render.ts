/** Text for people: the plan (what `--dry-run` prints) and the results. Pure. */
import type { Fix, Step } from './fix.js';
import { shellQuote, showCommand } from './fix.js';
import type { FixResult } from './journal.js';
import type { Plan } from './plan.js';
import { formatRegValue, regAddArgs } from './registry.js';

/** `chmod` symbolic form of added owner/group/other bits, e.g. 0o700 → u+rwx. */
export function symbolicBits(bits: number): string {
  const part = (who: string, shift: number) => {
    const b = (bits >> shift) & 7;
    if (!b) return '';
    return `${who}+${b & 4 ? 'r' : ''}${b & 2 ? 'w' : ''}${b & 1 ? 'x' : ''}`;
  };
  return [part('u', 6), part('g', 3), part('o', 0)].filter(Boolean).join(',') || '+0';
}

/** The exact thing a step does, as lines (the command a person could type where there is one). */
export function describeStep(step: Step, platform: NodeJS.Platform): string[] {
  const a = step.action;
  switch (a.kind) {
    case 'exec':
      return [
        `$ ${showCommand(a.command, platform)}`,
        ...(a.undo ? [`  (undo: ${showCommand(a.undo, platform)})`] : []),
      ];
    case 'registry-set':
      return [
        `registry: ${a.key}\\${a.name} = ${formatRegValue(a.value)}`,
        `$ ${showCommand({ file: 'reg', args: regAddArgs(a.key, a.name, a.value) }, 'win32')}`,
      ];
    case 'file-mode':
      return [`$ chmod ${symbolicBits(a.addBits)} ${shellQuote(a.path)}`];
    case 'stop-process':
      return [
        platform === 'win32'
          ? `$ taskkill /PID ${a.pid} /T   (${a.name})`
          : `$ kill -TERM ${a.pid}   (${a.name}${a.exe ? `, ${a.exe}` : ''})`,
      ];
    case 'engine':
      return [`engine operation: ${a.op}${Object.keys(a.args).length ? ` ${JSON.stringify(a.args)}` : ''}`];
    case 'manual':
      return [
        ...a.lines,
        ...(a.command ? [`$ ${a.command}`] : []),
        ...(a.open ? [`open: ${a.open.label} (${a.open.target})`] : []),
      ];
  }
}

const RISK_LABEL: Record<Fix['risk'], string> = {
  safe: 'safe',
  confirm: 'asks first',
  manual: 'you do it',
};

/** "[asks first]" only where there is something to ask: a fix whose planned steps are all manual is yours to do. */
function riskLabel(item: Plan['items'][number]): string {
  return item.steps.every((s) => s.action.kind === 'manual') ? RISK_LABEL.manual : RISK_LABEL[item.fix.risk];
}

/** Why a manual step is not run by the doctor; to root (uid 0) never "needs administrator rights". */
function notRunWhy(step: Step, admin: boolean): string {
  if (step.action.kind !== 'manual' || step.action.reason === 'guidance') return '';
  if (step.action.reason === 'needs-full-disk-access') return ' (not attempted: needs Full Disk Access)';
  return admin ? ' (not run by the doctor: run it yourself)' : ' (not attempted: needs administrator rights)';
}

/**
 * The plan as text. `admin`: the doctor already runs as root (uid 0), so "needs administrator
 * rights" would be untrue.
 */
export function renderPlan(plan: Plan, platform: NodeJS.Platform, dryRun: boolean, admin = false): string {
  const lines: string[] = [];
  if (plan.items.length === 0) {
    lines.push('Nothing to fix: no failing or warning check has a fix this tool can plan.');
  } else {
    const n = plan.items.reduce((s, i) => s + i.steps.length, 0);
    lines.push(
      `${dryRun ? 'Dry run: nothing will be changed. ' : ''}Plan: ${plan.items.length} fix${plan.items.length === 1 ? '' : 'es'}, ${n} step${n === 1 ? '' : 's'}.`,
    );
    for (const item of plan.items) {
      lines.push('');
      lines.push(`${item.fix.id}: ${item.fix.title} [${riskLabel(item)}]`);
      for (const f of item.findings) lines.push(`  for ${f.id} (${f.status}, ${f.code}): ${f.summary}`);
      item.steps.forEach((s, i) => {
        lines.push(`  ${i + 1}. ${s.title}${notRunWhy(s, admin)}`);
        for (const d of describeStep(s, platform)) lines.push(`       ${d}`);
      });
    }
  }
  for (const u of plan.unavailable) lines.push(`  (fix "${u.fixId}" for ${u.checkId}: ${u.why})`);
  return `${lines.join('\n')}\n`;
}

const OUTCOME_TEXT: Record<FixResult['outcome'], string> = {
  fixed: 'fixed',
  improved: 'better, not yet passing',
  unchanged: 'unchanged',
  worse: 'worse, rolled back',
  failed: 'failed, rolled back',
  'not-attempted': 'not attempted',
};

export function renderResults(results: readonly FixResult[], runId: string | undefined): string {
  const lines: string[] = [''];
  for (const r of results) {
    const checks = r.checks.map((c) => `${c.id} ${c.before} → ${c.after}`).join(', ');
    // A fix that was not attempted says why in its own words ("skipped: you said no").
    const outcome = r.outcome === 'not-attempted' && r.message ? r.message : OUTCOME_TEXT[r.outcome];
    const extra = r.outcome === 'not-attempted' ? undefined : r.message;
    lines.push(`${r.fixId}: ${outcome}${checks ? ` (${checks})` : ''}${extra ? `: ${extra}` : ''}`);
  }
  if (runId) lines.push('', `Undo these changes with: upwork-doctor undo ${runId}`);
  return `${lines.join('\n')}\n`;
}
