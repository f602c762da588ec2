import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { answerWords, createPrompts } from '../../src/core/prompts.js';

/** A fake terminal: what the prompt printed, and keys typed into it. */
function terminal() {
  const stdin = new PassThrough() as PassThrough & { isTTY: boolean; setRawMode(b: boolean): void };
  stdin.isTTY = true;
  stdin.setRawMode = () => undefined;
  const stdout = new PassThrough() as PassThrough & { columns: number; rows: number; isTTY: boolean };
  stdout.columns = 80;
  stdout.rows = 24;
  stdout.isTTY = true;
  let out = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  return { stdin, stdout, printed: () => out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '') };
}

describe('prompts (the one enquirer wrapper)', () => {
  it('a confirm shows the answer as a word, not true/false', async () => {
    const t = terminal();
    const p = createPrompts(true, { stdin: t.stdin, stdout: t.stdout });
    const answer = p.confirm('Save the bundle?', { initial: false });
    setTimeout(() => t.stdin.write('y'), 50);
    expect(await answer).toBe(true);
    expect(t.printed()).toMatch(/Save the bundle\?.*yes/);
    expect(t.printed()).not.toMatch(/\btrue\b/);
  });

  it('select returns the chosen value by its label', async () => {
    const t = terminal();
    const p = createPrompts(true, { stdin: t.stdin, stdout: t.stdout });
    const answer = p.select!('What does the status line say?', [
      { value: 'online', label: 'Online' },
      { value: 'caching', label: 'Offline (caching)' },
    ]);
    setTimeout(() => {
      t.stdin.write('\x1b[B'); // down
      t.stdin.write('\r');
    }, 50);
    expect(await answer).toBe('caching');
  });

  it('without a terminal: confirm refuses naming the flag, select answers nothing', async () => {
    const p = createPrompts(false);
    await expect(p.confirm('Go?', { flagHint: '--yes' })).rejects.toThrow(/without a terminal: pass --yes/);
    expect(await p.select!('Q?', [{ value: 'a', label: 'A' }])).toBeUndefined();
  });

  it('answerWords', () => {
    expect([answerWords(true), answerWords(false), answerWords('x'), answerWords(undefined)]).toEqual([
      'yes',
      'no',
      'x',
      '',
    ]);
  });
});
