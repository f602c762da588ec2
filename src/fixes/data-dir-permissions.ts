/**
 * data-dir-permissions: gives the tracker's data folder back to the user who runs the tracker.
 * Why: a folder you cannot write to (often left owned by root after running the app once with sudo)
 * means the tracker cannot save time, screenshots or logs. Adding your own read/write/enter bits is
 * done here (undo restores the old mode exactly); changing the owner needs an administrator, so that
 * step is not attempted: the exact command is printed instead. Nothing inside the folder is touched.
 */
import { factValue } from '../core/facts.js';
import { defineFix } from './actions.js';
import { steps } from './fix.js';
import { shellQuote } from './fix.js';

export const dataDirPermissions = defineFix({
  id: 'data-dir-permissions',
  title: "Give you back read and write access to the tracker's data folder",
  fixes: ['data-dir'],
  risk: 'confirm',
  platforms: ['darwin', 'linux'],
  plan(facts) {
    const d = factValue(facts, 'dataDir');
    if (!d || !d.exists || !d.isDirectory || d.ownerUid === null) return [];
    const notMine = d.processUid > 0 && d.ownerUid !== d.processUid;
    if (notMine) {
      return steps('data-dir-permissions', [
        {
          title: `Give ${d.path} back to your user (it belongs to ${d.ownerUid === 0 ? 'root' : `uid ${d.ownerUid}`})`,
          action: {
            kind: 'manual',
            reason: 'needs-admin',
            lines: [
              'Changing the owner needs an administrator. Run this in a terminal (it changes ownership only):',
            ],
            command: `sudo chown -R "$(id -un)" ${shellQuote(d.path)}`,
          },
        },
      ]);
    }
    if (d.readable && d.writable) return [];
    return steps('data-dir-permissions', [
      {
        title: `Let yourself read, write and open ${d.path}`,
        action: { kind: 'file-mode', path: d.path, addBits: 0o700 },
      },
    ]);
  },
});
