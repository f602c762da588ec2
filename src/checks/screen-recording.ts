/**
 * screen-recording: whether the tracker may capture the screen (macOS Screen Recording permission
 * from TCC; on Linux whether the session is Xorg, the only kind the app captures in), and the
 * symptom itself: black or blank screenshots among the tracker's recent ones (black = at least
 * 98 % of pixels under 10 % luma).
 * Why: without capture the tracker keeps logging time but uploads black screenshots (or none), and
 * a client can dispute hours whose screenshots show nothing. The Linux app refuses capture on
 * Wayland ("screenshots are only available on Xorg sessions") and reads activity from X11 only
 * (research/real-app-facts.md): the fix is an Xorg session, not a portal or PipeWire.
 */
import { defineCheck, missingFacts } from '../core/check.js';
import type { CheckOutcome as CheckResult } from '../core/finding.js';
import { factValue } from '../core/facts.js';
import type { Facts } from '../core/facts.js';
import type { ScreenFacts, ScreenshotInfo } from '../facts/screen.js';

const DOCS = 'docs/checks/screen-recording.md';
/** Screenshots older than this say nothing about today's setup. */
export const RECENT_DAYS = 7;
const MAC_PANE = 'x-apple.systempreferences:com.apple.preference.security?Privacy_ScreenCapture';

function recent(s: ScreenFacts, nowIso: string): ScreenshotInfo[] {
  const now = Date.parse(nowIso);
  return s.screenshots.analysed.filter((i) => now - Date.parse(i.modifiedAt) <= RECENT_DAYS * 86_400_000);
}

/** The macOS bundle id the Screen Recording grant belongs to (HC-Mac, Homebrew cask). */
export const MAC_BUNDLE_ID = 'com.upwork.Upwork';

function permissionFix(platform: string) {
  if (platform === 'darwin') {
    return {
      text: "Reset Upwork's Screen Recording permission (the command below), then grant it again in System Settings > Privacy & Security > Screen Recording, and quit and reopen Upwork: macOS applies the grant when the app starts.",
      commands: [`tccutil reset ScreenCapture ${MAC_BUNDLE_ID}`, `open "${MAC_PANE}"`],
      docsUrl: DOCS,
      fixIds: ['screen-recording'],
    };
  }
  if (platform === 'linux') {
    return {
      text: 'The Upwork app captures screenshots and activity only in an Xorg session. Log out, choose the Xorg session at the login screen (GNOME: the gear icon, "Ubuntu on Xorg"; KDE: "Plasma (X11)"), log in and start Upwork again.',
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

interface Seen {
  shots: ScreenshotInfo[];
  black: ScreenshotInfo[];
  blank: ScreenshotInfo[];
  evidence: Record<string, unknown>;
  details: string[];
}

/** What the recent screenshots, the TCC rows and the session show, as evidence and detail lines. */
function observe(s: ScreenFacts, collectedAt: string): Seen {
  const shots = recent(s, collectedAt);
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
  if (mac) {
    evidence.tcc = mac.state === 'collected' ? { db: mac.db, schema: mac.schema, rows: mac.rows } : mac;
    if (mac.state === 'collected')
      details.push(
        mac.rows.length === 0
          ? `No Upwork entry for kTCCServiceScreenCapture in ${mac.db}.`
          : `TCC ${mac.db}: ${mac.rows.map((r) => `${r.client} auth_value=${r.authValue}`).join(', ')} (2 allowed, 0 denied).`,
      );
  }
  if (s.linuxSession) {
    evidence.session = s.linuxSession;
    details.push(
      `Session: ${s.linuxSession.sessionType}${s.linuxSession.desktop ? ` (${s.linuxSession.desktop})` : ''}.`,
    );
  }
  return { shots, black, blank, evidence, details };
}

function blackFinding(platform: string, seen: Seen): CheckResult {
  return {
    status: 'fail',
    code: 'UWD-SCREEN-005',
    summary: `${seen.black.length} of the tracker's ${seen.shots.length} most recent screenshots are black, so clients see nothing for that time.`,
    details: [
      ...seen.details,
      ...seen.black.map((b) => `Black: ${b.file} (${Math.round((b.blackRatio ?? 0) * 100)} % dark pixels)`),
    ],
    evidence: seen.evidence,
    remediation: permissionFix(platform),
  };
}

/** macOS: the TCC grant. Undefined when it is granted (the screenshots then decide). */
function macFinding(mac: NonNullable<ScreenFacts['macPermission']>, seen: Seen): CheckResult | undefined {
  const { details, evidence } = seen;
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
  if (mac.rows.some((r) => r.authValue === 2)) return undefined;
  const limited = mac.rows.every((r) => r.authValue === 1 || r.authValue === 3);
  return {
    status: limited ? 'warn' : 'fail',
    code: limited ? 'UWD-SCREEN-010' : 'UWD-SCREEN-002',
    summary: limited
      ? "Upwork's Screen Recording permission is only partly granted, so some screenshots may be black."
      : 'Screen Recording is turned off for Upwork, so its screenshots will be black or show only the desktop.',
    details,
    evidence,
    remediation: permissionFix('darwin'),
  };
}

/** Linux: Xorg or not. Undefined on Xorg (the screenshots then decide). */
function linuxFinding(linux: NonNullable<ScreenFacts['linuxSession']>, seen: Seen): CheckResult | undefined {
  const { details, evidence } = seen;
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
  if (linux.sessionType !== 'wayland') return undefined;
  return {
    status: 'fail',
    code: 'UWD-SCREEN-008',
    summary:
      'You are in a Wayland session: the Upwork app takes screenshots and counts activity only in an Xorg session, so it captures nothing here and your activity reads as zero.',
    details,
    evidence,
    remediation: permissionFix('linux'),
  };
}

function clearFinding(facts: Facts, seen: Seen): CheckResult {
  if (seen.blank.length > 0) {
    return {
      status: 'warn',
      code: 'UWD-SCREEN-007',
      summary: `${seen.blank.length} of the tracker's recent screenshots are a single flat colour, which may mean capture is being blocked.`,
      details: [...seen.details, ...seen.blank.map((b) => `Blank: ${b.file}`)],
      evidence: seen.evidence,
      remediation: permissionFix(facts.platform),
    };
  }
  // Only screenshots that were actually judged support "not black"; never claim it from none.
  const judged = seen.shots.filter((i) => i.verdict === 'ok').length;
  const shotsText =
    judged > 0
      ? ", and the tracker's recent screenshots are not black"
      : seen.shots.length > 0
        ? ', though none of its recent screenshots could be judged'
        : ' (no recent screenshots to look at)';
  return {
    status: 'pass',
    code: 'UWD-SCREEN-001',
    summary:
      facts.platform === 'darwin'
        ? `Upwork has Screen Recording permission${shotsText}.`
        : facts.platform === 'linux'
          ? `You are in an Xorg (X11) session, where the tracker can capture the screen${shotsText}.`
          : `Nothing blocks screen capture${shotsText}.`,
    details: seen.details,
    evidence: seen.evidence,
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
    const seen = observe(s, facts.collectedAt);
    if (seen.black.length > 0) return blackFinding(facts.platform, seen);
    const blocked =
      (s.macPermission && macFinding(s.macPermission, seen)) ||
      (s.linuxSession && linuxFinding(s.linuxSession, seen));
    return blocked || clearFinding(facts, seen);
  },
});
