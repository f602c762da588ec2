/**
 * screen-recording: sends you to the one place that can grant screen capture, because the doctor
 * must not (and on macOS cannot) grant it itself. macOS: opens the Screen Recording pane of Privacy
 * & Security after `tccutil reset ScreenCapture com.upwork.Upwork` (a stale grant left by an update
 * is the common cause); the app must then be quit and reopened, since macOS applies the grant at
 * launch. Linux on Wayland: log in with an Xorg session, the only kind the Linux app captures in
 * (no portal or PipeWire path exists in the app); on Xorg, a restart. Windows: restart, then the
 * security software (Webroot needs upwork.exe allowed under Identity Protection). The steps are the
 * check's own (`captureSteps`), so the plan says what the check advised.
 * Why: without the grant the tracker keeps logging time but uploads black screenshots.
 */
import { captureSteps } from '../checks/screen-recording.js';
export { MAC_PANE as MAC_SCREEN_PANE } from '../checks/screen-recording.js';
import { factValue } from '../core/facts.js';
import { defineFix } from './actions.js';
import { steps } from './fix.js';

export const screenRecordingFix = defineFix({
  id: 'screen-recording',
  title: 'Let the tracker capture your screen',
  fixes: ['screen-recording'],
  risk: 'manual',
  platforms: ['darwin', 'linux', 'win32'],
  plan(facts) {
    // The same steps the check advises, from one table, so the plan and the advice never disagree.
    const session = factValue(facts, 'screen')?.linuxSession?.sessionType;
    return steps(
      'screen-recording',
      captureSteps(facts.platform, session).map((st) => ({
        title: st.title,
        action: {
          kind: 'manual' as const,
          reason: 'guidance' as const,
          lines: st.lines,
          ...(st.command ? { command: st.command } : {}),
          ...(st.open ? { open: st.open } : {}),
        },
      })),
    );
  },
});
