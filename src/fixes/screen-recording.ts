/**
 * screen-recording: sends you to the one place that can grant screen capture, because the doctor
 * must not (and on macOS cannot) grant it itself. macOS: opens the Screen Recording pane of Privacy
 * & Security after `tccutil reset ScreenCapture com.upwork.Upwork` (a stale grant left by an update
 * is the common cause); the app must then be quit and reopened, since macOS applies the grant at
 * launch. Linux on Wayland: log in with an Xorg session, the only kind the Linux app captures in
 * (no portal or PipeWire path exists in the app). Windows: restart guidance.
 * Why: without the grant the tracker keeps logging time but uploads black screenshots.
 */
import { MAC_BUNDLE_ID } from '../checks/screen-recording.js';
import { factValue } from '../core/facts.js';
import { defineFix } from './actions.js';
import { steps } from './fix.js';

export const MAC_SCREEN_PANE =
  'x-apple.systempreferences:com.apple.preference.security?Privacy_ScreenCapture';

export const screenRecordingFix = defineFix({
  id: 'screen-recording',
  title: 'Let the tracker capture your screen',
  fixes: ['screen-recording'],
  risk: 'manual',
  platforms: ['darwin', 'linux', 'win32'],
  plan(facts) {
    const s = factValue(facts, 'screen');
    if (facts.platform === 'darwin') {
      return steps('screen-recording', [
        {
          title: "Reset Upwork's Screen Recording permission",
          action: {
            kind: 'manual',
            reason: 'guidance',
            lines: [
              'An update can leave a stale grant that macOS no longer honours. Clear it (it asks nothing and changes only this permission):',
            ],
            command: `tccutil reset ScreenCapture ${MAC_BUNDLE_ID}`,
          },
        },
        {
          title: 'Grant Screen Recording to Upwork again in System Settings',
          action: {
            kind: 'manual',
            reason: 'guidance',
            lines: [
              'In Privacy & Security > Screen Recording, turn Upwork on (add it with "+" if it is not listed).',
            ],
            open: { target: MAC_SCREEN_PANE, label: 'the Screen Recording pane of Privacy & Security' },
          },
        },
        {
          title: 'Quit Upwork and open it again',
          action: {
            kind: 'manual',
            reason: 'guidance',
            lines: [
              'macOS applies the permission when the app starts: quit Upwork from its menu (Cmd-Q), then open it again.',
            ],
          },
        },
      ]);
    }
    if (facts.platform === 'linux') {
      const session = s?.linuxSession;
      if (session && session.sessionType !== 'wayland')
        return steps('screen-recording', [
          {
            title: 'Restart Upwork',
            action: {
              kind: 'manual',
              reason: 'guidance',
              lines: ['Quit Upwork and start it again, then check the next screenshot in your Work Diary.'],
            },
          },
        ]);
      return steps('screen-recording', [
        {
          title: 'Log in with an Xorg session',
          action: {
            kind: 'manual',
            reason: 'guidance',
            lines: [
              'The Upwork app takes screenshots and counts activity only in an Xorg session, never on Wayland.',
              'Log out. At the login screen pick the Xorg session: GNOME (Ubuntu): the gear icon, "Ubuntu on Xorg"; KDE: "Plasma (X11)". Log in again.',
            ],
          },
        },
        {
          title: 'Start Upwork again',
          action: {
            kind: 'manual',
            reason: 'guidance',
            lines: ['Then start Upwork and check the next screenshot in your Work Diary.'],
          },
        },
      ]);
    }
    return steps('screen-recording', [
      {
        title: 'Restart Upwork and check what blocks screen capture',
        action: {
          kind: 'manual',
          reason: 'guidance',
          lines: [
            'Quit Upwork from its icon in the notification area (so every Upwork.exe process ends) and start it again.',
            'If screenshots stay black, a security product may block screen capture (see the antivirus check), or the graphics driver needs an update.',
          ],
        },
      },
    ]);
  },
});
