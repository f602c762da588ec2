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
import { plural } from '../core/format.js';
import type { ScreenFacts, ScreenshotInfo } from '../facts/screen.js';

const DOCS = 'docs/checks/screen-recording.md';
/** Screenshots older than this say nothing about today's setup. */
export const RECENT_DAYS = 7;
export const MAC_PANE = 'x-apple.systempreferences:com.apple.preference.security?Privacy_ScreenCapture';

function recent(s: ScreenFacts, nowIso: string): ScreenshotInfo[] {
  const now = Date.parse(nowIso);
  return s.screenshots.analysed.filter((i) => now - Date.parse(i.modifiedAt) <= RECENT_DAYS * 86_400_000);
}

/** The macOS bundle id the Screen Recording grant belongs to (HC-Mac, Homebrew cask). */
export const MAC_BUNDLE_ID = 'com.upwork.Upwork';

/** One thing to do to let the tracker capture again; the check's advice and the fix's plan both read these. */
export interface CaptureStep {
  title: string;
  lines: string[];
  command?: string;
  open?: { target: string; label: string };
}

const RESTART_LINUX: CaptureStep[] = [
  {
    title: 'Restart Upwork',
    lines: ['Quit Upwork and start it again, then check the next screenshot in your Work Diary.'],
  },
];

const XORG: CaptureStep[] = [
  {
    title: 'Log in with an Xorg session',
    lines: [
      'The Upwork app takes screenshots and counts activity only in an Xorg session, never on Wayland.',
      'Log out. At the login screen pick the Xorg session: GNOME (Ubuntu): the gear icon, "Ubuntu on Xorg"; KDE: "Plasma (X11)". Log in again.',
    ],
  },
  {
    title: 'Start Upwork again',
    lines: ['Then start Upwork and check the next screenshot in your Work Diary.'],
  },
];

const MAC: CaptureStep[] = [
  {
    title: "Reset Upwork's Screen Recording permission",
    lines: [
      'An update can leave a stale grant that macOS no longer honours; clearing it asks nothing and changes only this permission.',
    ],
    command: `tccutil reset ScreenCapture ${MAC_BUNDLE_ID}`,
  },
  {
    title: 'Grant Screen Recording to Upwork again in System Settings',
    lines: [
      'In Privacy & Security > Screen Recording, turn Upwork on (add it with "+" if it is not listed).',
    ],
    open: { target: MAC_PANE, label: 'the Screen Recording pane of Privacy & Security' },
  },
  {
    title: 'Quit Upwork and open it again',
    lines: [
      'macOS applies the permission when the app starts: quit Upwork from its menu (Cmd-Q), then open it again.',
    ],
  },
];

const WINDOWS: CaptureStep[] = [
  {
    title: 'Restart Upwork',
    lines: [
      'Quit Upwork from its icon in the notification area (so every Upwork.exe process ends) and start it again, then check the next screenshot in your Work Diary.',
    ],
  },
  {
    title: 'If screenshots stay black, let Upwork past your security software',
    lines: [
      'A security product may block screen capture (see the antivirus check); Webroot, for one, needs upwork.exe allowed under Identity Protection. Updating the graphics driver can help too.',
    ],
  },
];

/**
 * What lets the tracker capture again, per OS (Linux: by session; an Xorg session that still gives
 * black screenshots only needs a restart, anything else needs Xorg).
 */
export function captureSteps(platform: string, sessionType?: string): CaptureStep[] {
  if (platform === 'darwin') return MAC;
  if (platform === 'linux') return sessionType === 'x11' ? RESTART_LINUX : XORG;
  return WINDOWS;
}

function permissionFix(platform: string, sessionType?: string) {
  const list = captureSteps(platform, sessionType);
  const commands = list.flatMap((st) => [
    ...(st.command ? [st.command] : []),
    ...(st.open ? [`open "${st.open.target}"`] : []),
  ]);
  return {
    text: list
      .map(
        (st, i) => `${i + 1}. ${st.title}${st.command ? ' (the command below)' : ''}. ${st.lines.join(' ')}`,
      )
      .join(' '),
    ...(commands.length ? { commands } : {}),
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
    `${plural(shots.length, 'screenshot')} from the last ${RECENT_DAYS} days examined under ${s.screenshots.folder}: ${black.length} black, ${blank.length} blank${unjudged.length ? `, ${unjudged.length} not judged` : ''}.`,
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

/**
 * How many of the recent screenshots are `what`, in words that fit the counts: "The tracker's only
 * recent screenshot is black", "All 4 of …", "1 of the tracker's 10 most recent screenshots is black".
 */
export function shotCount(n: number, of: number, what: string): string {
  if (of === 1) return `The tracker's only recent screenshot is ${what}`;
  if (n === of) return `All ${of} of the tracker's most recent screenshots are ${what}`;
  return `${n} of the tracker's ${of} most recent screenshots ${n === 1 ? 'is' : 'are'} ${what}`;
}

function blackFinding(platform: string, seen: Seen, sessionType?: string): CheckResult {
  return {
    status: 'fail',
    code: 'UWD-SCREEN-005',
    summary: `${shotCount(seen.black.length, seen.shots.length, 'black')}, so clients see nothing for that time.`,
    details: [
      ...seen.details,
      ...seen.black.map((b) => `Black: ${b.file} (${Math.round((b.blackRatio ?? 0) * 100)} % dark pixels)`),
    ],
    evidence: seen.evidence,
    remediation: permissionFix(platform, sessionType),
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
    // The screenshots were looked at even so: say what they showed, not "Not checked" beside them.
    const judged = seen.shots.filter((i) => i.verdict === 'ok').length;
    return {
      status: 'skip',
      code: 'UWD-SCREEN-009',
      summary:
        judged > 0
          ? `Partly checked: ${judged === 1 ? "the tracker's recent screenshot is" : `the tracker's ${judged} recent screenshots are`} not black, but this terminal is not inside a graphical session (for example over SSH), so whether the desktop is an Xorg session is unknown.`
          : 'Not checked: this terminal is not inside a graphical session (for example over SSH), so the desktop the tracker captures is unknown.',
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
    remediation: permissionFix('linux', 'wayland'),
  };
}

function clearFinding(facts: Facts, seen: Seen): CheckResult {
  if (seen.blank.length > 0) {
    return {
      status: 'warn',
      code: 'UWD-SCREEN-007',
      summary: `${shotCount(seen.blank.length, seen.shots.length, 'a single flat colour')}, which may mean capture is being blocked.`,
      details: [...seen.details, ...seen.blank.map((b) => `Blank: ${b.file}`)],
      evidence: seen.evidence,
      remediation: permissionFix(facts.platform, factValue(facts, 'screen')?.linuxSession?.sessionType),
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
    if (seen.black.length > 0) return blackFinding(facts.platform, seen, s.linuxSession?.sessionType);
    const blocked =
      (s.macPermission && macFinding(s.macPermission, seen)) ||
      (s.linuxSession && linuxFinding(s.linuxSession, seen));
    return blocked || clearFinding(facts, seen);
  },
});
