import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestContext } from '../../src/core/context.js';
import {
  TCC_DB,
  analysePixels,
  detectSessionType,
  parseTccRows,
  screenCollector,
  tccSchema,
} from '../../src/facts/screen.js';
import { tempDir } from '../helpers/cli.js';
import { collect, fakeExec, fixture, workLike, writePng } from './os-helpers.js';

function rgba(w: number, h: number, f: (x: number, y: number) => [number, number, number]): Uint8Array {
  const d = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, b] = f(x, y);
      d.set([r, g, b, 255], (y * w + x) * 4);
    }
  return d;
}

describe('analysePixels (black = ≥ 98 % of pixels under 10 % luma)', () => {
  it.each([
    ['pure black', () => [0, 0, 0] as [number, number, number], 'black'],
    [
      'black with a white cursor (1 %)',
      (x: number, y: number) => (x < 10 && y < 10 ? [255, 255, 255] : [0, 0, 0]) as [number, number, number],
      'black',
    ],
    [
      'near-black noise',
      (x: number, y: number) => [(x * 13 + y * 7) % 20, 5, 9] as [number, number, number],
      'black',
    ],
    [
      '3 % bright pixels is not black',
      (x: number) => (x < 3 ? [255, 255, 255] : [0, 0, 0]) as [number, number, number],
      'ok',
    ],
    ['dark IDE theme (#1e1e1e) is not black', workLike, 'ok'],
    ['white page', () => [255, 255, 255] as [number, number, number], 'blank'],
    ['gradient', (x: number, y: number) => [x * 2, y * 2, 128] as [number, number, number], 'ok'],
  ])('%s → %s', (_n, paint, verdict) => {
    expect(analysePixels(rgba(100, 100, paint), 100, 100).verdict).toBe(verdict);
  });

  it('samples large images on a grid (a 4K frame stays cheap) without changing the answer', () => {
    const w = 3840;
    const h = 2160;
    const d = new Uint8Array(w * h * 4);
    const t0 = performance.now();
    expect(analysePixels(d, w, h)).toMatchObject({ verdict: 'black', blackRatio: 1 });
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe('macOS TCC parsing on recorded sqlite3 output', () => {
  it('finds the schema from PRAGMA table_info', () => {
    expect(tccSchema(fixture('darwin', 'tcc-pragma-sonoma.txt'))).toBe('auth_value');
    expect(tccSchema(fixture('darwin', 'tcc-pragma-catalina.txt'))).toBe('allowed');
    expect(tccSchema('')).toBeUndefined();
  });

  it('keeps the tracker rows and maps 10.15 `allowed` onto auth_value', () => {
    expect(parseTccRows(fixture('darwin', 'tcc-rows-allowed.txt'), 'auth_value')).toEqual([
      { client: 'com.upwork.Upwork', clientType: 0, authValue: 2, authReason: 3, lastModified: 1761301188 },
    ]);
    expect(parseTccRows(fixture('darwin', 'tcc-rows-denied.txt'), 'auth_value')[0]!.authValue).toBe(0);
    expect(parseTccRows(fixture('darwin', 'tcc-rows-none.txt'), 'auth_value')).toEqual([]);
    expect(parseTccRows(fixture('darwin', 'tcc-rows-catalina.txt'), 'allowed')).toEqual([
      {
        client: 'com.upwork.Upwork',
        clientType: 0,
        authValue: 2,
        authReason: null,
        lastModified: 1604397212,
      },
    ]);
  });
});

function macCtx(pragma: string | { code: number; stderr: string }, rows = '') {
  const exec = fakeExec({
    sqlite3: (args) =>
      typeof pragma !== 'string'
        ? pragma
        : args[2] === 'PRAGMA table_info(access)'
          ? { stdout: fixture('darwin', pragma) }
          : { stdout: fixture('darwin', rows) },
  });
  return { ctx: createTestContext({ platform: 'darwin', homedir: '/Users/freelancer', exec }), exec };
}

describe('screen collector', () => {
  it('macOS 11+: reads the system TCC.db read-only and keeps the Upwork row', async () => {
    const { ctx, exec } = macCtx('tcc-pragma-sonoma.txt', 'tcc-rows-allowed.txt');
    const { value, sources } = await collect(screenCollector, ctx);
    expect(value.macPermission).toMatchObject({
      state: 'collected',
      schema: 'auth_value',
      rows: [{ client: 'com.upwork.Upwork', authValue: 2 }],
    });
    expect(exec.calls[1]!.args).toEqual([
      '-readonly',
      TCC_DB,
      "SELECT client,client_type,auth_value,auth_reason,last_modified FROM access WHERE service='kTCCServiceScreenCapture'",
    ]);
    expect(sources[0]).toEqual({
      kind: 'command',
      ref: `sqlite3 -readonly "${TCC_DB}" "PRAGMA table_info(access)"`,
    });
  });

  it('macOS 10.15: queries `allowed`', async () => {
    const { ctx, exec } = macCtx('tcc-pragma-catalina.txt', 'tcc-rows-catalina.txt');
    const { value } = await collect(screenCollector, ctx);
    expect(value.macPermission).toMatchObject({ state: 'collected', schema: 'allowed' });
    expect(exec.calls[1]!.args[2]).toMatch(/allowed,prompt_count/);
  });

  it('macOS without Full Disk Access: not collected (needs-full-disk-access), never a value', async () => {
    const { ctx } = macCtx({ code: 14, stderr: fixture('darwin', 'tcc-denied.stderr') });
    const { value } = await collect(screenCollector, ctx);
    expect(value.macPermission).toMatchObject({ state: 'not-collected', reason: 'needs-full-disk-access' });
    expect(value.macPermission!.state === 'not-collected' && value.macPermission!.message).toMatch(
      /authorization denied.*Full Disk Access/,
    );
  });

  it.each([
    [{ XDG_SESSION_TYPE: 'x11', DISPLAY: ':0' }, 'x11'],
    [{ XDG_SESSION_TYPE: 'wayland', WAYLAND_DISPLAY: 'wayland-0', DISPLAY: ':0' }, 'wayland'],
    [{ WAYLAND_DISPLAY: 'wayland-0' }, 'wayland'],
    [{ DISPLAY: ':1' }, 'x11'],
    [{ XDG_SESSION_TYPE: 'tty' }, 'tty'],
    [{}, 'unknown'],
  ])('session type from %j → %s', (env, type) => {
    expect(detectSessionType(env)).toBe(type);
  });

  it('Linux Wayland: the session type and desktop from the environment, nothing run', async () => {
    const ran: string[] = [];
    const ctx = createTestContext({
      platform: 'linux',
      env: { XDG_SESSION_TYPE: 'wayland', XDG_CURRENT_DESKTOP: 'ubuntu:GNOME' },
      exec: async (file) => {
        ran.push(file);
        return { stdout: '', stderr: '', code: 1, signal: null, timedOut: false };
      },
    });
    const { value } = await collect(screenCollector, ctx);
    expect(value.linuxSession).toEqual({ sessionType: 'wayland', desktop: 'ubuntu:GNOME' });
    expect(ran).toEqual([]);
  });

  it('live: a real black PNG and a real normal PNG among the engine-style screenshots', async () => {
    const data = tempDir('uwd-shots-');
    const blobs = path.join(data, 'Upwork', 'Cache', 'blobs', 'sha256');
    const black = path.join(blobs, 'ab', 'ab12cd34.png');
    const normal = path.join(blobs, 'cd', 'cd56ef78.png');
    writePng(black, 320, 200, () => [0, 0, 0]);
    writePng(normal, 320, 200, workLike);
    writeFileSync(path.join(blobs, 'cd', 'note.txt'), 'not an image');
    // The older one is listed after the newer one.
    utimesSync(normal, new Date('2026-11-18T09:00:00Z'), new Date('2026-11-18T09:00:00Z'));
    utimesSync(black, new Date('2026-11-18T09:10:00Z'), new Date('2026-11-18T09:10:00Z'));
    const ctx = createTestContext({ platform: 'win32' });
    const { value } = await collect(screenCollector, ctx, { dataDir: data });
    expect(value.macPermission).toBeNull();
    expect(value.linuxSession).toBeNull();
    expect(value.screenshots.found).toBe(2);
    expect(value.screenshots.analysed.map((s) => [s.file, s.verdict, s.width])).toEqual([
      [black, 'black', 320],
      [normal, 'ok', 320],
    ]);
    expect(value.screenshots.analysed[0]!.blackRatio).toBe(1);
    expect(value.screenshots.analysed[0]!.modifiedAt).toBe('2026-11-18T09:10:00.000Z');
  });

  it('a corrupt PNG and a 4-byte JPEG are unreadable, each with a reason', async () => {
    const data = tempDir('uwd-shots-');
    mkdirSync(path.join(data, 'shots'));
    writeFileSync(path.join(data, 'shots', 'broken.png'), Buffer.from('89504e470d0a1a0a0000', 'hex'));
    writeFileSync(path.join(data, 'shots', 'photo.jpg'), Buffer.from('ffd8ffe0', 'hex'));
    const { value } = await collect(screenCollector, createTestContext({ platform: 'win32' }), {
      dataDir: data,
    });
    expect(value.screenshots.analysed.map((s) => s.verdict)).toEqual(['unreadable', 'unreadable']);
    for (const s of value.screenshots.analysed) expect(s.reason).toMatch(/\w/);
  });
});
