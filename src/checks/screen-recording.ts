/**
 * screen-recording: whether the tracker may capture the screen (macOS Screen Recording permission
 * from TCC; Linux X11 vs Wayland and the desktop portal), and the symptom itself: black or blank
 * screenshots among the tracker's recent ones (black = at least 98 % of pixels under 10 % luma).
 * Why: without the permission the tracker keeps logging time but uploads black screenshots, and a
 * client can dispute hours whose screenshots show nothing.
 */
import { defineCheck, missingFacts } from '../core/check.js';
import { factValue } from '../core/facts.js';
import type { ScreenFacts, ScreenshotInfo } from '../facts/screen.js';

const DOCS = 'docs/checks/screen-recording.md';
/** Screenshots older than this say nothing about today's setup. */
export const RECENT_DAYS = 7;
const MAC_PANE = 'x-apple.systempreferences:com.apple.preference.security?Privacy_ScreenCapture';

function recent(s: ScreenFacts, nowIso: string): ScreenshotInfo[] {
  const now = Date.parse(nowIso);
  return s.screenshots.analysed.filter((i) => now - Date.parse(i.modifiedAt) <= RECENT_DAYS * 86_400_000);
}

function permissionFix(platform: string, clients: string[] = []) {
  if (platform === 'darwin') {
    return {
      text: 'Open System Settings > Privacy & Security > Screen Recording, turn Upwork on (remove and re-add it if it is already on), then quit and reopen Upwork.',
      commands: [`open "${MAC_PANE}"`, ...clients.map((c) => `tccutil reset ScreenCapture ${c}`)],
      docsUrl: DOCS,
      fixIds: ['screen-recording'],
    };
  }
  if (platform === 'linux') {
    return {
      text: 'Log out and choose an "Xorg"/"X11" session at the login screen, or install xdg-desktop-portal with your desktop\'s backend and PipeWire, then restart Upwork.',
      commands: ['sudo apt install xdg-desktop-portal xdg-desktop-portal-gnome pipewire'],
      docsUrl: DOCS,
      fixIds: ['screen-recording'],
    };
  }
  return {
    text: 'Restart Upwork. If screenshots stay black, check that no security product blocks screen capture (see the antivirus check) and update your graphics driver.',
    docsUrl: DOCS,
    fixIds: ['screen-recording'],
  };
}

export const screenRecording = defineCheck({
  id: 'screen-recording',
  title: 'Screen recording',
  category: 'system',
  platforms: ['win32', 'darwin', 'linux'],
  needs: ['screen'],
  docs: DOCS,
  codePrefix: 'UWD-SCREEN',
  run(facts) {
    const missing = missingFacts(this, facts);
    if (missing) return missing;
    const s = factValue(facts, 'screen')!;
    const shots = recent(s, facts.collectedAt);
    const black = shots.filter((i) => i.verdict === 'black');
    const blank = shots.filter((i) => i.verdict === 'blank');
    // Listed so a run whose screenshots could not be decoded is not mistaken for a clean one.
    const unjudged = shots.filter((i) => i.verdict === 'unreadable' || i.verdict === 'not-analysed');
    const evidence: Record<string, unknown> = {
      screenshotsFolder: s.screenshots.folder,
      screenshotsFound: s.screenshots.found,
      recentAnalysed: shots.map((i) => ({
        file: i.file,
        modifiedAt: i.modifiedAt,
        verdict: i.verdict,
        blackRatio: i.blackRatio,
        ...(i.reason ? { reason: i.reason } : {}),
      })),
      rule: 'black = at least 98 % of pixels under 10 % luma',
    };
    const details: string[] = [
      `${shots.length} screenshot(s) from the last ${RECENT_DAYS} days examined under ${s.screenshots.folder}: ${black.length} black, ${blank.length} blank${unjudged.length ? `, ${unjudged.length} not judged` : ''}.`,
      ...unjudged.map((u) => `Not judged: ${u.file} (${u.verdict}${u.reason ? `: ${u.reason}` : ''})`),
    ];
    const mac = s.macPermission;
    const linux = s.linuxSession;
    if (mac) {
      evidence.tcc = mac.state === 'collected' ? { db: mac.db, schema: mac.schema, rows: mac.rows } : mac;
      if (mac.state === 'collected') {
        details.push(
          mac.rows.length === 0
            ? `No Upwork entry for kTCCServiceScreenCapture in ${mac.db}.`
            : `TCC ${mac.db}: ${mac.rows.map((r) => `${r.client} auth_value=${r.authValue}`).join(', ')} (2 allowed, 0 denied).`,
        );
      }
    }
    if (linux) {
      evidence.session = linux;
      details.push(`Session: ${linux.sessionType}${linux.desktop ? ` (${linux.desktop})` : ''}.`);
    }

    if (black.length > 0) {
      return {
        status: 'fail',
        code: 'UWD-SCREEN-005',
        summary: `${black.length} of the tracker's ${shots.length} most recent screenshots are black, so clients see nothing for that time.`,
        details: [
          ...details,
          ...black.map((b) => `Black: ${b.file} (${Math.round((b.blackRatio ?? 0) * 100)} % dark pixels)`),
        ],
        evidence,
        remediation: permissionFix(
          facts.platform,
          mac?.state === 'collected' ? mac.rows.map((r) => r.client) : [],
        ),
      };
    }

    if (mac) {
      if (mac.state === 'not-collected') {
        return {
          status: 'skip',
          code: 'UWD-SCREEN-006',
          summary: `Not checked: the Screen Recording permission could not be read (${mac.reason === 'needs-full-disk-access' ? 'needs Full Disk Access' : mac.reason}).`,
          details: [...details, mac.message],
          evidence,
          remediation: {
            text: 'Give your terminal app Full Disk Access in System Settings > Privacy & Security > Full Disk Access, reopen it and run the doctor again; or check that Upwork is on in Privacy & Security > Screen Recording.',
            commands: ['open "x-apple.systempreferences:com.apple.preference.security?Privacy_AllFiles"'],
            docsUrl: DOCS,
          },
        };
      }
      const allowed = mac.rows.filter((r) => r.authValue === 2);
      if (mac.rows.length === 0) {
        return {
          status: 'fail',
          code: 'UWD-SCREEN-003',
          summary:
            'Upwork has never been given Screen Recording permission, so its screenshots will be black or show only the desktop.',
          details,
          evidence,
          remediation: permissionFix('darwin'),
        };
      }
      if (allowed.length === 0) {
        const limited = mac.rows.every((r) => r.authValue === 1 || r.authValue === 3);
        return {
          status: limited ? 'warn' : 'fail',
          code: limited ? 'UWD-SCREEN-010' : 'UWD-SCREEN-002',
          summary: limited
            ? "Upwork's Screen Recording permission is only partly granted, so some screenshots may be black."
            : 'Screen Recording is turned off for Upwork, so its screenshots will be black or show only the desktop.',
          details,
          evidence,
          remediation: permissionFix(
            'darwin',
            mac.rows.map((r) => r.client),
          ),
        };
      }
    }

    if (linux) {
      if (linux.sessionType === 'tty' || linux.sessionType === 'unknown') {
        return {
          status: 'skip',
          code: 'UWD-SCREEN-009',
          summary:
            'Not checked: this terminal is not inside a graphical session (for example over SSH), so the desktop the tracker captures is unknown.',
          details,
          evidence,
        };
      }
      if (linux.sessionType === 'wayland') {
        const portalOk = Boolean(
          linux.portal?.available && (linux.portal.screenshot || linux.portal.screenCast),
        );
        if (!portalOk || linux.pipewireRunning === false) {
          const why = !portalOk
            ? 'the desktop portal for screen capture is missing'
            : 'PipeWire is not running';
          return {
            status: 'fail',
            code: 'UWD-SCREEN-008',
            summary: `You are in a Wayland session and ${why}, so the tracker cannot capture your screen and screenshots come out black.`,
            details,
            evidence,
            remediation: permissionFix('linux'),
          };
        }
        return {
          status: 'warn',
          code: 'UWD-SCREEN-004',
          summary:
            'You are in a Wayland session: the tracker must capture through the desktop portal, which may ask for permission or capture only some windows.',
          details,
          evidence,
          remediation: permissionFix('linux'),
        };
      }
    }

    if (blank.length > 0) {
      return {
        status: 'warn',
        code: 'UWD-SCREEN-007',
        summary: `${blank.length} of the tracker's recent screenshots are a single flat colour, which may mean capture is being blocked.`,
        details: [...details, ...blank.map((b) => `Blank: ${b.file}`)],
        evidence,
        remediation: permissionFix(facts.platform),
      };
    }

    // Only screenshots that were actually judged support "not black"; never claim it from none.
    const judged = shots.filter((i) => i.verdict === 'ok').length;
    const shotsText =
      judged > 0
        ? ", and the tracker's recent screenshots are not black"
        : shots.length > 0
          ? ', though none of its recent screenshots could be judged'
          : ' (no recent screenshots to look at)';
    return {
      status: 'pass',
      code: 'UWD-SCREEN-001',
      summary:
        facts.platform === 'darwin'
          ? `Upwork has Screen Recording permission${shotsText}.`
          : facts.platform === 'linux'
            ? `You are in an X11 session, where the tracker can capture the screen${shotsText}.`
            : `Nothing blocks screen capture${shotsText}.`,
      details,
      evidence,
    };
  },
});
