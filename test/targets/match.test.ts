/** Which recorded fix run the target options of `undo` name: facts (options, recorded target) in, yes/no out. */
import { describe, expect, it } from 'vitest';
import { describeRequest, namesTarget, targetMatches } from '../../src/targets/match.js';
import { withTargetArgs } from '../../src/report/origin.js';

const scenario = {
  kind: 'scenario' as const,
  dataDir: '/h/doctor/scenarios/cache-75-0a1b2c3d',
  scenario: 'cache-75',
  installDirs: [],
};
const embedded = { kind: 'embedded' as const, dataDir: '/h/doctor/reference', installDirs: [] };
const installed = { kind: 'installed' as const, dataDir: '/h/.Upwork', installDirs: ['/opt/Upwork'] };

describe('targetMatches', () => {
  it.each([
    [{ scenario: 'cache-75' }, scenario, true],
    [{ scenario: 'cache-full' }, scenario, false],
    [{ scenario: 'cache-75' }, embedded, false],
    [{ dataDir: '/h/doctor/scenarios/cache-75-0a1b2c3d' }, scenario, true],
    [{ dataDir: '/h/.Upwork/' }, installed, true],
    [{ dataDir: '/h/.Upwork' }, embedded, false],
    [{ appDir: '/opt/Upwork' }, installed, true],
    [{ appDir: '/opt/Other' }, installed, false],
    [{ target: 'installed' as const }, installed, true],
    [{ target: 'installed' as const }, embedded, false],
    [{ target: 'embedded' as const }, embedded, true],
    [{ target: 'embedded' as const, dataDir: '/h/doctor/reference' }, embedded, true],
    [{ target: 'auto' as const }, scenario, true],
  ])('%j on %j → %s', (req, t, want) => {
    expect(targetMatches(req, t)).toBe(want);
  });

  it('only real choices name a target; messages say them as typed', () => {
    expect(namesTarget({ target: 'auto' })).toBe(false);
    expect(namesTarget({})).toBe(false);
    expect(namesTarget({ scenario: 'x' })).toBe(true);
    expect(describeRequest({ scenario: 'x', target: 'auto' })).toBe('--scenario x');
  });

  it('a printed undo command carries the run\u2019s target options', () => {
    expect(
      withTargetArgs('upwork-doctor undo', {
        ...scenario,
        reference: true,
        args: ['--scenario', 'cache-75'],
      }),
    ).toBe('upwork-doctor undo --scenario cache-75');
  });
});
