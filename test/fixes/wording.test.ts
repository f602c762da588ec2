/**
 * Wording of fix plans and results (issue 12 item 16): the label a fix gets in the plan agrees
 * with what happens to it, and nobody running as root is told they need administrator rights.
 */
import { describe, expect, it } from 'vitest';
import type { ClockFacts } from '../../src/facts/clock.js';
import { clockSync } from '../../src/fixes/clock-sync.js';
import type { Plan } from '../../src/fixes/plan.js';
import { renderPlan, renderResults } from '../../src/fixes/render.js';
import { makeFacts } from '../helpers/facts.js';

const clock: ClockFacts = {
  service: { url: 'https://s/', offsetMs: 15 * 60_000, uncertaintyMs: 500, samples: [] },
  serviceUrl: 'https://s/',
  sync: { source: 'timedatectl', automatic: true, synchronized: true },
  timeZone: 'UTC',
  utcOffsetMinutes: 0,
};
const facts = makeFacts({ clock });
const plan: Plan = {
  items: [{ fix: clockSync, findings: [], steps: clockSync.plan(facts) }],
  unavailable: [],
};

describe('fix words', () => {
  it('a step that needs an administrator: said to a user, not to root (uid 0)', () => {
    const user = renderPlan(plan, 'linux', true);
    expect(user).toMatch(/1\. Sync the clock now \(not attempted: needs administrator rights\)/);
    const root = renderPlan(plan, 'linux', true, true);
    expect(root).not.toMatch(/administrator rights/);
    expect(root).toMatch(/1\. Sync the clock now \(not run by the doctor: run it yourself\)/);
  });

  it('a fix whose planned steps are all for you to do is "[you do it]", not "[asks first]"', () => {
    expect(clockSync.risk).toBe('confirm');
    expect(renderPlan(plan, 'linux', true)).toMatch(/^clock-sync: .* \[you do it\]$/m);
  });

  it('results say why nothing was done, in words that fit the label', () => {
    const text = renderResults(
      [
        { fixId: 'a', outcome: 'not-attempted', checks: [], message: 'skipped: you said no' },
        { fixId: 'b', outcome: 'not-attempted', checks: [], message: 'left to you: follow the steps above' },
        { fixId: 'c', outcome: 'not-attempted', checks: [] },
      ],
      undefined,
    );
    expect(text).toContain('a: skipped: you said no\n');
    expect(text).toContain('b: left to you: follow the steps above\n');
    expect(text).toContain('c: not attempted\n');
    expect(text).not.toMatch(/not attempted: (you|it needs)/);
  });
});
