/**
 * The work-diary server as a bare process, for the kill -9 reliability tests (and anyone who wants
 * the server without the CLI). It prints one JSON line `{url, port, caPath, pid}` on stdout once it
 * listens and runs until SIGTERM/SIGINT. `UWD_CRASH_AT=<step>:<n>` makes it SIGKILL itself at the
 * n-th hit of a named server step (server.beforeCommit, server.afterCommitBeforeRespond).
 *
 *   node dist/engine/server/main.js --data-dir DIR [--port N] [--now MS] [--faults JSON] [--test-hooks]
 */
import { writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { realClock, type Clock } from '../clock.js';
import type { Faults } from '../protocol.js';
import { startServer, type ServerStep } from './index.js';
import { crashHook } from '../crash-hook.js';

/** Real time shifted so that "now" reads `startMs` at process start and then runs normally. */
function shiftedClock(startMs: number): Clock {
  const offset = startMs - realClock.now();
  return { now: () => realClock.now() + offset, mono: () => realClock.mono() };
}


async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string', default: '0' },
      now: { type: 'string' },
      faults: { type: 'string' },
      'test-hooks': { type: 'boolean', default: false },
    },
  });
  const dataDir = values['data-dir'];
  if (!dataDir) throw new Error('--data-dir is required');
  const onStep = crashHook<ServerStep>();
  const server = await startServer({
    dataDir,
    port: Number(values.port),
    clock: values.now ? shiftedClock(Number(values.now)) : realClock,
    faults: values.faults ? (JSON.parse(values.faults) as Faults) : {},
    testHooks: values['test-hooks'],
    ...(onStep ? { onStep } : {}),
  });
  writeSync(
    1,
    `${JSON.stringify({ url: server.url, port: server.port, caPath: server.caPath, pid: process.pid })}\n`,
  );
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`work-diary server: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
