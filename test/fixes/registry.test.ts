import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createTestContext } from '../../src/core/context.js';
import { formatRegValue, parseRegQuery, realRegistry } from '../../src/fixes/registry.js';
import { FIXTURES, MemoryRegistry } from './helpers.js';

const IS = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings';
const fixture = (n: string) => readFileSync(path.join(FIXTURES, 'win32', n), 'utf8');

describe('reg query parsing', () => {
  it.each([
    ['SecureProtocols', 'internet-settings-0xa80.txt', { type: 'REG_DWORD', data: 0xa80 }],
    ['securEprotocols', 'internet-settings-0xa80.txt', { type: 'REG_DWORD', data: 2688 }],
    [
      'User Agent',
      'internet-settings-0xa80.txt',
      { type: 'REG_SZ', data: 'Mozilla/4.0 (compatible; MSIE 8.0; Win32)' },
    ],
    ['ZonesSecurityUpgrade', 'internet-settings-0xa80.txt', null],
    ['SecureProtocols', 'internet-settings-absent.txt', null],
  ] as const)('%s in %s', (name, file, want) => {
    expect(parseRegQuery(fixture(file), name)).toEqual(want);
  });

  it('formats values for people', () => {
    expect(formatRegValue({ type: 'REG_DWORD', data: 0x2800 })).toBe('REG_DWORD 0x2800 (10240)');
    expect(formatRegValue(null)).toBe('(absent)');
  });
});

describe('realRegistry over the emulated reg.exe', () => {
  it('reads, writes and removes one value, leaving every other value byte-identical', async () => {
    const mem = MemoryRegistry.fromFixture('internet-settings-0xa80.txt');
    const reg = realRegistry(createTestContext({ exec: mem.exec }));
    const before = mem.snapshot();
    expect(await reg.read(IS, 'SecureProtocols')).toEqual({ type: 'REG_DWORD', data: 0xa80 });
    await reg.write(IS, 'SecureProtocols', { type: 'REG_DWORD', data: 0x2a80 });
    expect(await reg.read(IS, 'SecureProtocols')).toEqual({ type: 'REG_DWORD', data: 0x2a80 });
    await reg.write(IS, 'SecureProtocols', { type: 'REG_DWORD', data: 0xa80 });
    expect(mem.snapshot()).toBe(before);
    await reg.remove(IS, 'SecureProtocols');
    expect(await reg.read(IS, 'SecureProtocols')).toBeNull();
    await reg.remove(IS, 'SecureProtocols');
    expect(mem.snapshot()).not.toBe(before);
  });

  it("a failing reg add is an error with reg.exe's message", async () => {
    const reg = realRegistry(
      createTestContext({
        exec: async () => ({
          stdout: '',
          stderr: 'ERROR: Access is denied.',
          code: 1,
          signal: null,
          timedOut: false,
        }),
      }),
    );
    await expect(reg.write(IS, 'X', { type: 'REG_SZ', data: 'y' })).rejects.toThrow(/Access is denied/);
    expect(await reg.read(IS, 'X')).toBeNull();
  });
});
