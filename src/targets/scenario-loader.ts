/**
 * Default scenario loader until the engine provides scenarios: every name is unknown.
 * The engine room replaces this with a loader over fixtures/scenarios/.
 */
import { UserError } from '../core/errors.js';
import { setScenarioLoader } from './resolve.js';

export function registerScenarioLoader(): void {
  setScenarioLoader(async (name) => {
    throw new UserError(`Unknown scenario "${name}". Run "upwork-doctor scenarios" to list them.`);
  });
}
