/**
 * screen-recording: sends you to the one place that can grant screen capture, because the doctor
 * must not (and on macOS cannot) grant it itself. macOS: opens the Screen Recording pane of Privacy
 * & Security; the app must then be quit and reopened, since macOS applies the grant at launch.
 * Linux on Wayland: explains the X11 session or the desktop portal. Windows: restart guidance.
 * Why: without the grant the tracker keeps logging time but uploads black screenshots.
 */
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
      const clients =
        s?.macPermission?.state === 'collected' ? s.macPermission.rows.map((r) => r.client) : [];
      return steps('screen-recording', [
        {
          title: 'Turn on Screen Recording for Upwork in System Settings',
          action: {
            kind: 'manual',
            reason: 'guidance',
            lines: [
              'In Privacy & Security > Screen Recording, turn Upwork on.',
              ...(clients.length > 0
                ? [
                    'If it is already on, select it, remove it with "−", and add it again with "+" (an update can leave a stale entry).',
                  ]
                : []),
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
          title: 'Use an X11 session, or give Wayland a screen-capture portal',
          action: {
            kind: 'manual',
            reason: 'guidance',
            lines: [
              'Wayland does not let apps read the screen directly. Either:',
              '  - log out, pick the "Xorg" / "X11" session (the gear icon on the login screen), and log in again; or',
              '  - install the desktop portal for your desktop and PipeWire (this needs administrator rights):',
            ],
            command: 'sudo apt install xdg-desktop-portal xdg-desktop-portal-gnome pipewire',
          },
        },
        {
          title: 'Restart Upwork',
          action: { kind: 'manual', reason: 'guidance', lines: ['Then quit Upwork and start it again.'] },
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
            'Quit Upwork (and the Upwork Helper in the notification area) and start it again.',
            'If screenshots stay black, a security product may block screen capture (see the antivirus check), or the graphics driver needs an update.',
          ],
        },
      },
    ]);
  },
});
