/**
 * What a command body may ask of the program that runs it. It lives apart from program.ts so the
 * command modules (which program.ts imports) never import program.ts back.
 */
export interface CommandHost {
  setExitCode(code: number): void;
}
