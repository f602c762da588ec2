import { describe, expect, it } from 'vitest';
import type { WindowsProxyJson } from '../../src/facts/proxy.js';
import { proxyFactsFromWindowsJson, readProxyFacts } from '../../src/facts/proxy.js';
import { createTestContext } from '../../src/core/context.js';
import { decideProxy, envProxy, matchNoProxy, redactProxyUrl, shellVsApp } from '../../src/network/proxy.js';
import { parseGsettingsProxy, parseScutilProxy } from '../../src/network/proxy-sources.js';
import { fakeExec, fixture, winSection } from '../facts/os-helpers.js';

describe('proxy sources from recorded outputs', () => {
  it('macOS scutil: manual, PAC, none', () => {
    expect(parseScutilProxy(fixture('darwin', 'scutil-proxy-manual.txt'))).toEqual({
      source: 'scutil',
      mode: 'manual',
      servers: { http: 'proxy.corp.example:8080', https: 'proxy.corp.example:8443' },
      bypass: ['*.local', '169.254/16', '*.corp.example', '<local>'],
    });
    expect(parseScutilProxy(fixture('darwin', 'scutil-proxy-pac.txt'))).toMatchObject({
      mode: 'pac',
      pacUrl: 'http://wpad.corp.example/proxy.pac',
    });
    expect(parseScutilProxy(fixture('darwin', 'scutil-proxy-none.txt')).mode).toBe('direct');
  });
  it('GNOME gsettings: manual, auto, none; passwords are never read', () => {
    expect(parseGsettingsProxy(fixture('linux', 'gsettings-proxy-manual.txt'))).toMatchObject({
      mode: 'manual',
      servers: { http: 'proxy.corp.example:3128', https: 'proxy.corp.example:3129' },
      bypass: expect.arrayContaining(['*.corp.example']),
    });
    expect(parseGsettingsProxy(fixture('linux', 'gsettings-proxy-auto.txt'))).toMatchObject({
      mode: 'pac',
      pacUrl: 'http://wpad.corp.example/proxy.pac',
    });
    expect(parseGsettingsProxy(fixture('linux', 'gsettings-proxy-none.txt'))!.mode).toBe('direct');
    expect(JSON.stringify(parseGsettingsProxy(fixture('linux', 'gsettings-proxy-manual.txt')))).not.toContain(
      'password',
    );
  });
  it('Windows WinINET and WinHTTP from the PowerShell batch', async () => {
    // As the collector reads them: the proxySettings section of the one batched call.
    const win = async (name: string) =>
      proxyFactsFromWindowsJson((await winSection('proxySettings', { proxy: name })) as WindowsProxyJson, {});
    const m = await win('proxy-wininet-manual.json');
    expect(m.system).toMatchObject({
      source: 'WinINET',
      mode: 'manual',
      servers: { http: 'proxy.corp.example:8080', https: 'proxy.corp.example:8443' },
      bypass: ['<local>', '*.corp.example', '10.*'],
    });
    expect(m.winhttp).toMatchObject({ mode: 'direct' });
    const p = await win('proxy-wininet-pac.json');
    expect(p.system).toMatchObject({ mode: 'pac', pacUrl: 'http://wpad.corp.example/proxy.pac' });
    expect(p.winhttp).toMatchObject({ mode: 'manual', servers: { all: 'proxy.corp.example:8080' } });
    expect((await win('proxy-direct-autodetect.json')).system!.mode).toBe('auto-detect');
  });
  it('the collector on Linux reads gsettings and redacts environment credentials', async () => {
    const ctx = createTestContext({
      env: { https_proxy: 'http://me:pw@p:1', NO_PROXY: '.corp' },
      exec: fakeExec({ gsettings: { stdout: fixture('linux', 'gsettings-proxy-manual.txt') } }),
    });
    const f = await readProxyFacts({ ctx, source: () => undefined, waitingOn: () => undefined });
    expect(f.system?.mode).toBe('manual');
    expect(f.env.https).toEqual({ name: 'https_proxy', value: 'http://***@p:1' });
  });
});

describe('NO_PROXY and decisions', () => {
  it.each([
    ['*', 'a.b', 443, '*'],
    ['.corp.example', 'x.corp.example', 443, '.corp.example'],
    ['corp.example', 'corp.example', 443, 'corp.example'],
    ['*.corp.example', 'x.corp.example', 443, '*.corp.example'],
    ['example.com:8443', 'example.com', 443, undefined],
    ['example.com:443', 'example.com', 443, 'example.com:443'],
    ['10.0.0.0/8', '10.1.2.3', 443, '10.0.0.0/8'],
    ['<local>', 'intranet', 443, '<local>'],
    ['notexample.com', 'example.com', 443, undefined],
  ] as const)('%s vs %s:%s', (list, host, port, hit) => {
    expect(matchNoProxy(list, host, port)).toBe(hit);
  });
  it('redacts credentials', () => expect(redactProxyUrl('http://u:p@h:8080')).toBe('http://***@h:8080'));
  it('on Windows the tracker follows WinINET while the shell follows HTTPS_PROXY: the difference is named', async () => {
    const sys = proxyFactsFromWindowsJson(
      JSON.parse(fixture('win32', 'proxy-wininet-manual.json')),
      {},
    ).system!;
    const r = await decideProxy({
      url: new URL('https://www.upwork.com/'),
      platform: 'win32',
      env: envProxy({ HTTPS_PROXY: 'http://other:3128' }),
      system: sys,
    });
    expect(r.decision).toMatchObject({
      mode: 'proxy',
      source: 'WinINET',
      proxy: { host: 'proxy.corp.example', port: 8443 },
    });
    expect(shellVsApp(r.decision, r.envDecision)).toMatch(
      /through proxy.corp.example:8443 \(WinINET\), but this shell's environment would connect through other:3128/,
    );
  });
  it('on Linux without desktop settings the environment decides', async () => {
    const r = await decideProxy({
      url: new URL('https://www.upwork.com/'),
      platform: 'linux',
      env: envProxy({ https_proxy: 'http://p:1', HTTPS_PROXY: 'http://ignored:2' }),
    });
    expect(r.decision).toMatchObject({ mode: 'proxy', source: 'https_proxy', proxy: { host: 'p', port: 1 } });
  });
});
