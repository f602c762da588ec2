/**
 * The scenario loader: `--scenario NAME` builds the named problem (fixtures/scenarios/NAME) into a
 * fresh engine folder under the doctor's home and makes it the target. The engine is imported only
 * here, when a scenario is asked for.
 */
import type { Context } from '../core/context.js';
import { UserError } from '../core/errors.js';
import type { TargetInfo } from '../core/facts.js';
import { doctorHome } from './paths.js';

export async function loadScenarioTarget(name: string, ctx: Context): Promise<TargetInfo> {
  const { ScenarioError, buildScenario, listScenarios, loadScenario, newScenarioDir, pruneScenarioDirs } =
    await import('../engine/scenarios.js');
  let spec;
  try {
    spec = await loadScenario(name);
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    const known = (await listScenarios()).map((s) => s.name);
    throw new UserError(
      `Unknown scenario "${name}". Known scenarios: ${known.join(', ')} (see "upwork-doctor scenarios").`,
    );
  }
  const home = doctorHome(ctx);
  await pruneScenarioDirs(home, name, 2);
  const dataDir = await newScenarioDir(home, name);
  ctx.logger.progress(`Building scenario "${name}" in ${dataDir} …`);
  await buildScenario(spec, dataDir, { now: ctx.now() });
  return {
    kind: 'scenario',
    scenario: name,
    dataDir,
    found: true,
    installDirs: [],
    reason: `scenario "${name}": ${spec.summary}`,
    reference: true,
    headline: `Scenario "${name}" reproduces a problem on the built-in reference tracker, not on your app: ${spec.summary.replace(/\.?$/, '.')} Findings marked "simulated by scenario ${name}" were measured against its reference server, not Upwork.`,
    args: ['--scenario', name],
  };
}
