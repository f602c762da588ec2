/**
 * Planning, pure: which fixes apply to which non-passing findings, and their steps. Nothing here
 * touches the machine, so `fix --dry-run` is exactly this plan, printed.
 */
import type { Facts } from '../core/facts.js';
import type { Finding } from '../core/finding.js';
import { UserError } from '../core/errors.js';
import type { Fix, Step } from './fix.js';
import { isChange } from './fix.js';

export interface PlannedFix {
  fix: Fix;
  /** The findings it addresses (warn or fail). */
  findings: Finding[];
  steps: Step[];
}

export interface Plan {
  items: PlannedFix[];
  /** Fix ids that findings asked for but that this build does not provide, or not on this OS. */
  unavailable: { fixId: string; checkId: string; why: string }[];
}

function needsFixing(f: Finding): boolean {
  return f.status === 'warn' || f.status === 'fail';
}

/** Check an --only list: each id must name a fix, or a check that some fix repairs. */
export function resolveOnly(
  only: readonly string[] | undefined,
  fixes: readonly Fix[],
  checkIds: readonly string[],
): Set<string> | undefined {
  if (!only || only.length === 0) return undefined;
  const ids = new Set<string>();
  for (const id of only) {
    const byId = fixes.find((f) => f.id === id);
    const byCheck = fixes.filter((f) => f.fixes.includes(id));
    if (byId) ids.add(byId.id);
    else if (byCheck.length > 0 || checkIds.includes(id)) for (const f of byCheck) ids.add(f.id);
    else
      throw new UserError(
        `Unknown fix "${id}". Known fixes: ${fixes.map((f) => f.id).join(', ')} (a check id also selects its fixes).`,
      );
  }
  return ids;
}

/**
 * A fix is planned for a warn/fail finding when the finding names it in `remediation.fixIds` or the
 * fix declares the finding's check in `fixes`. Steps come from `fix.plan(facts)`.
 */
export function planFixes(
  facts: Facts,
  findings: readonly Finding[],
  fixes: readonly Fix[],
  only?: ReadonlySet<string>,
): Plan {
  const items: PlannedFix[] = [];
  const unavailable: Plan['unavailable'] = [];
  const byId = new Map(fixes.map((f) => [f.id, f]));
  const platform = facts.platform as 'linux';
  for (const finding of findings.filter(needsFixing)) {
    const wanted = new Set(finding.remediation?.fixIds ?? []);
    for (const f of fixes) if (f.fixes.includes(finding.id)) wanted.add(f.id);
    for (const fixId of wanted) {
      if (only && !only.has(fixId)) continue;
      const fix = byId.get(fixId);
      if (!fix) {
        unavailable.push({
          fixId,
          checkId: finding.id,
          why: 'not available in this version of upwork-doctor',
        });
        continue;
      }
      if (!fix.platforms.includes(platform)) {
        unavailable.push({ fixId, checkId: finding.id, why: `not available on ${facts.platform}` });
        continue;
      }
      const existing = items.find((i) => i.fix.id === fixId);
      if (existing) existing.findings.push(finding);
      else items.push({ fix, findings: [finding], steps: [] });
    }
  }
  for (const item of items) item.steps = item.fix.plan(facts);
  return { items: items.filter((i) => i.steps.length > 0), unavailable };
}

export function changeSteps(plan: Plan): Step[] {
  return plan.items.flatMap((i) => i.steps.filter(isChange));
}
