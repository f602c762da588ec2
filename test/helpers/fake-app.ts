/**
 * A stand-in for the real Linux app's processes: a copy of the node binary named `upwork` in an
 * install folder laid out like the .deb's (`upwork` beside `resources/app.asar`), started with
 * Electron's `--type=renderer` switch. A "name-alike" is the same copy in a folder without that
 * layout. Every child is killed when the test ends and exits by itself after `maxSeconds`.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { tempDir } from './cli.js';

export function fakeInstall(opts: { layout?: boolean } = {}): string {
  const dir = path.join(tempDir('uwd-install-'), 'Upwork');
  mkdirSync(path.join(dir, 'resources'), { recursive: true });
  copyFileSync(process.execPath, path.join(dir, 'upwork'));
  chmodSync(path.join(dir, 'upwork'), 0o755);
  if (opts.layout !== false) writeFileSync(path.join(dir, 'resources', 'app.asar'), 'not a real asar\n');
  return dir;
}

export interface FakeProcess {
  pid: number;
  /** CPU ms the process itself has used (process.cpuUsage), for comparing with a measurement. */
  usage(): Promise<number>;
}

/**
 * `<dir>/upwork <script> --type=<type>`: busy spins in 20 ms slices (so it can still answer the
 * usage question); idle waits.
 */
export async function startFakeUpwork(
  dir: string,
  opts: { type?: string; busy: boolean; maxSeconds?: number },
): Promise<FakeProcess> {
  const script = path.join(dir, `child-${opts.busy ? 'busy' : 'idle'}.mjs`);
  writeFileSync(
    script,
    `const end=Date.now()+${(opts.maxSeconds ?? 30) * 1000};
process.on('message',()=>{const u=process.cpuUsage();process.send((u.user+u.system)/1000)});
${opts.busy ? 'const spin=()=>{const t=Date.now()+20;while(Date.now()<t){} if(Date.now()<end) setImmediate(spin); else process.exit(0)};spin();' : `setTimeout(()=>process.exit(0),${(opts.maxSeconds ?? 30) * 1000});`}
process.send(0);
`,
  );
  const args = [script, ...(opts.type ? [`--type=${opts.type}`] : [])];
  const child = spawn(path.join(dir, 'upwork'), args, { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  onTestFinished(() => void child.kill('SIGKILL'));
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('error', reject);
  });
  return {
    pid: child.pid!,
    usage: () =>
      new Promise<number>((resolve) => {
        child.once('message', (ms) => resolve(ms as number));
        child.send('usage');
      }),
  };
}
