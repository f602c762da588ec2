/**
 * The kill -9 tests' crash point: `UWD_CRASH_AT=<step>:<n>` makes a bare engine process (worker,
 * server) SIGKILL itself at the n-th hit of a named step, so recovery can be proven at each one.
 * Only the test entry points read it; the CLI never does.
 */
export function crashHook<Step extends string>(
  spec: string | undefined = process.env.UWD_CRASH_AT,
): ((step: Step) => void) | undefined {
  if (!spec) return undefined;
  const [name, nStr] = spec.split(':');
  const n = Number(nStr ?? '1');
  let hits = 0;
  return (step) => {
    if (step === name && ++hits === n) process.kill(process.pid, 'SIGKILL');
  };
}
