/**
 * refresh-contracts: says why a contract is missing from the tracker's list, from its status
 * (paused, ended, or opening at 00:00 UTC on its start date), and refreshes the list from the
 * work-diary service (the embedded engine), or says how to make the installed app refresh it.
 * Why: a list the tracker has not refreshed hides a resumed or new contract; a paused or
 * not-yet-started contract cannot be tracked at all, and no local change alters that.
 */
import { factValue } from '../core/facts.js';
import { defineFix } from './actions.js';
import { OP_REFRESH_CONTRACTS, explainContract, onEngine } from './engine-ops.js';
import type { Step } from './fix.js';
import { steps } from './fix.js';

export const refreshContracts = defineFix({
  id: 'refresh-contracts',
  title: "Refresh the tracker's contract list and say why a contract is missing",
  fixes: ['contracts'],
  risk: 'safe',
  platforms: ['win32', 'darwin', 'linux'],
  plan(facts) {
    const v = factValue(facts, 'contracts');
    const now = Date.parse(facts.collectedAt);
    const why = (v?.contracts ?? []).flatMap((c) => explainContract(c, now) ?? []);
    const list: Omit<Step, 'id' | 'fixId'>[] = [];
    if (why.length > 0) {
      list.push({
        title: 'Why these contracts cannot be tracked now',
        action: {
          kind: 'manual',
          reason: 'guidance',
          lines: [
            ...why,
            'Refreshing the list shows a change the client made; it cannot resume or start a contract.',
          ],
        },
      });
    }
    if (onEngine(facts)) {
      list.push({
        title: "Refresh the tracker's contract list from the work-diary service",
        action: { kind: 'engine', op: OP_REFRESH_CONTRACTS, args: { dataDir: facts.target.dataDir } },
      });
    } else {
      list.push({
        title: 'Make the Upwork app fetch its contract list again',
        action: {
          kind: 'manual',
          reason: 'guidance',
          lines: [
            'Quit the Upwork app and open it again (or sign out and back in): it fetches the contract list when it starts.',
          ],
        },
      });
    }
    return steps('refresh-contracts', list);
  },
});
