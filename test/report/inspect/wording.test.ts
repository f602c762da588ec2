/** inspect's text for the agent (issue 12 item 16): cache fields in words and sizes in units. */
import { describe, expect, it } from 'vitest';
import { createTestContext } from '../../../src/core/context.js';
import { inspectBundle } from '../../../src/report/inspect/inspect.js';
import { renderInspect } from '../../../src/report/inspect/render-text.js';
import { tempDir } from '../../helpers/cli.js';
import { makeBundle } from '../bundle/make-bundle.js';

describe('inspect words', () => {
  it('the cache section names its fields in words, never the raw field names', async () => {
    const b = await makeBundle(tempDir());
    const r = await inspectBundle(b.path, { hours: 48, ctx: createTestContext() });
    // The engine's cache fact, as a bundle of the reference tracker holds it.
    r.cache!.cacheFact = {
      state: 'collected',
      value: {
        format: 'engine',
        pendingSegments: 109,
        pendingMinutes: 1090,
        capacityMinutes: 1440,
        tornTail: null,
        anotherDeviceLive: false,
      },
    };
    const text = renderInspect(r, 48);
    const section = text.slice(text.indexOf('\nCache: '));
    expect(section).toMatch(/^\nCache: \d+ files?, [\d.]+ (B|KiB|MiB) \(metadata only\)\./);
    expect(section).toMatch(/^ {2}segments waiting: \d+$/m);
    expect(section).toMatch(/^ {2}capacity \(minutes\): \d+$/m);
    expect(section).toMatch(/^ {2}unfinished last record: none$/m);
    expect(section).not.toMatch(/pendingSegments|pendingMinutes|capacityMinutes|tornTail|anotherDeviceLive/);
  });
});
