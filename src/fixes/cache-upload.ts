/**
 * cache-upload: "upload now" for the time waiting in the tracker's offline cache, through the
 * tracker's own uploader, so a segment leaves the cache only when the work-diary server has
 * acknowledged it. When the service cannot be reached it says which network stage fails, and that
 * the cache is safe. There is no fix that clears the cache.
 * Why: a full cache stops time logging on every contract, and cached time that misses the Monday
 * 12:00 UTC lock can never be billed.
 */
import { factValue } from '../core/facts.js';
import { defineFix } from './actions.js';
import { OP_UPLOAD, onEngine } from './engine-ops.js';
import { steps } from './fix.js';

export const cacheUpload = defineFix({
  id: 'cache-upload',
  title: "Upload the cached time now through the tracker's own uploader",
  fixes: ['cache-fullness'],
  risk: 'safe',
  platforms: ['win32', 'darwin', 'linux'],
  plan(facts) {
    const c = factValue(facts, 'cache');
    if (!c) return [];
    if (c.format === 'engine' && onEngine(facts)) {
      const n = c.pendingSegments ?? 0;
      if (n === 0) return [];
      return steps('cache-upload', [
        {
          title: `Upload the ${n} cached segment(s) (${c.pendingMinutes ?? 0} min) now; a segment leaves the cache only when the server acknowledges it`,
          action: { kind: 'engine', op: OP_UPLOAD, args: { dataDir: facts.target.dataDir } },
        },
      ]);
    }
    return steps('cache-upload', [
      {
        title: 'Let the Upwork app upload its cache',
        action: {
          kind: 'manual',
          reason: 'guidance',
          lines: [
            'Keep the Upwork app open, signed in and online: it uploads the cache itself ("Online and uploading" turns to "Online").',
            'If it stays in caching mode, "upwork-doctor network" shows which network stage fails (DNS, TCP, TLS, HTTP).',
            'Never delete the cache folder: it holds time you have not been paid for yet.',
          ],
        },
      },
    ]);
  },
});
