/** Exit codes (DESIGN.md: Command line). */
export const ExitCode = {
  Ok: 0,
  Failed: 1,
  Usage: 2,
  Deadline: 3,
  Cancelled: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
