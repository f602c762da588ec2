/**
 * Reading a facts file (`--facts`, or `facts.json` inside a bundle) that may be damaged or hostile.
 * It is checked against the schema derived from the `Facts` type (facts.schema.json, made by
 * scripts/facts-schema.mjs) before any check sees it: a check given the wrong shape would crash
 * with a raw message ("v.contracts.filter is not a function") or skip, and the run would read as
 * healthy. The answer to a bad file is one line naming the first bad field, exit 2.
 */
import { UserError } from './errors.js';
import { FACTS_VERSION } from './facts.js';
import type { Facts } from './facts.js';
import { firstSchemaProblem, jsonDepth } from './json-check.js';
import schema from './facts.schema.json' with { type: 'json' };

/** Deeper than any real facts file (the schema is about 10 levels); also bounds every recursion later. */
export const MAX_FACTS_DEPTH = 64;

/**
 * Parses and validates a facts file's text. `label` names it in messages ("facts.json in the bundle",
 * "facts file x.json"). Throws UserError with one line; returns the facts otherwise.
 */
export async function parseFactsText(text: string, label: string): Promise<Facts> {
  const hint = 'make one with --record';
  if (jsonDepth(text) > MAX_FACTS_DEPTH)
    throw new UserError(
      `${label} nests deeper than ${MAX_FACTS_DEPTH} levels, so it is not a facts file (${hint}).`,
    );
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UserError(`${label} is not valid JSON, so it is not a facts file (${hint}).`);
  }
  const v = data as Partial<Facts> | null;
  if (
    v !== null &&
    typeof v === 'object' &&
    typeof v.factsVersion === 'number' &&
    v.factsVersion > FACTS_VERSION
  )
    throw new UserError(
      `${label} has factsVersion ${v.factsVersion}; this upwork-doctor reads version ${FACTS_VERSION}. Update upwork-doctor.`,
    );
  // Facts recorded before host and platform were part of the file still replay.
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    v.host ??= {
      hostname: 'recorded',
      os: String(v.platform ?? 'unknown'),
      arch: 'unknown',
      node: 'unknown',
    };
    v.platform ??= 'linux';
  }
  const problem = await firstSchemaProblem(schema, data);
  if (problem)
    throw new UserError(`${label} is not a facts file this upwork-doctor can read: ${problem} (${hint}).`);
  return data as Facts;
}
