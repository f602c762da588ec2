/**
 * data-dir: the tracker's data folder exists, this user can read and write it, and it is not owned
 * by root when the user is not root.
 * Why: the tracker keeps its offline cache and logs there. A folder left owned by root (after
 * running the app with sudo, or an admin install) makes the tracker fail to save time silently.
 */
import { defineCheck, missingFacts } from '../core/check.js';
import { factValue } from '../core/facts.js';

export const dataDir = defineCheck({
  id: 'data-dir',
  title: 'Tracker data folder',
  category: 'tracker',
  platforms: ['win32', 'darwin', 'linux'],
  needs: ['dataDir'],
  docs: 'docs/checks/data-dir.md',
  codePrefix: 'UWD-DATADIR',
  run(facts) {
    const missing = missingFacts(this, facts);
    if (missing) return missing;
    const d = factValue(facts, 'dataDir')!;
    const evidence = { ...d };
    const docsUrl = 'docs/checks/data-dir.md';
    if (!d.exists) {
      return {
        status: 'fail',
        code: 'UWD-DATADIR-002',
        summary: `The tracker's data folder ${d.path} does not exist, so the tracker has nowhere to keep your time and logs.`,
        details: ['The folder is created when the Upwork app first starts and signs in.'],
        evidence,
        remediation: {
          text: 'Start the Upwork app and sign in once; if it is installed and the folder still does not appear, reinstall it. If your data lives elsewhere, pass --data-dir.',
          docsUrl,
        },
      };
    }
    if (!d.isDirectory) {
      return {
        status: 'fail',
        code: 'UWD-DATADIR-003',
        summary: `${d.path} is a file, not a folder, so the tracker cannot store its data there.`,
        evidence,
        remediation: {
          text: `Rename or move the file ${d.path} out of the way, then restart the Upwork app.`,
          docsUrl,
        },
      };
    }
    const rootOwned = d.ownerUid === 0 && d.processUid > 0;
    if (rootOwned) {
      return {
        status: 'fail',
        code: 'UWD-DATADIR-004',
        summary: `The tracker's data folder is owned by root, so the tracker (running as you) cannot save time or logs there.`,
        details: [
          `Owner uid 0, you are uid ${d.processUid}; mode ${d.mode ?? '?'}.`,
          'This usually follows running the app once with sudo.',
        ],
        evidence,
        remediation: {
          text: 'Give the folder back to your user (this changes ownership only, no data is removed).',
          commands: [`sudo chown -R "$(id -un)" "${d.path}"`],
          docsUrl,
          fixIds: ['data-dir-permissions'],
        },
      };
    }
    if (!d.readable || !d.writable) {
      const what = !d.readable && !d.writable ? 'read or write' : !d.readable ? 'read' : 'write to';
      return {
        status: 'fail',
        code: 'UWD-DATADIR-005',
        summary: `You cannot ${what} the tracker's data folder, so the tracker cannot keep your time there.`,
        details: [`Mode ${d.mode ?? '?'}, owner uid ${d.ownerUid ?? '?'}.`],
        evidence,
        remediation: {
          text: 'Restore your permissions on the folder (no data is removed).',
          commands: [`chmod u+rwx "${d.path}"`],
          docsUrl,
          fixIds: ['data-dir-permissions'],
        },
      };
    }
    return {
      status: 'pass',
      code: 'UWD-DATADIR-001',
      summary: `The tracker's data folder is present and writable: ${d.path}.`,
      evidence,
    };
  },
});
