/** The body of `upwork-doctor scenarios`: one line per scenario, or JSON. */
import { createContext } from '../core/context.js';
import type { Context } from '../core/context.js';
import { ExitCode } from '../core/exit-codes.js';
import { printText } from './output.js';

export interface ScenariosOptions {
  json?: boolean;
}

export async function runScenariosCommand(opts: ScenariosOptions, ctxIn?: Context): Promise<number> {
  const ctx = ctxIn ?? createContext();
  const { listScenarios } = await import('../engine/scenarios.js');
  const all = await listScenarios();
  if (opts.json) {
    const out = all.map((s) => ({
      name: s.name,
      title: s.title,
      summary: s.summary,
      findings: s.claims.findings,
    }));
    ctx.stdout(`${JSON.stringify(out, null, 2)}\n`);
    return ExitCode.Ok;
  }
  const width = Math.max(...all.map((s) => s.name.length), 4) + 2;
  printText(ctx, `${all.map((s) => `${s.name.padEnd(width)}${s.summary}`).join('\n')}\n`);
  ctx.stdout(`\nRun one with: upwork-doctor check --scenario NAME\n`);
  return ExitCode.Ok;
}
