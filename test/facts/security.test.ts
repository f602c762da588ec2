import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestContext } from '../../src/core/context.js';
import { parseMacPs } from '../../src/facts/processes.js';
import {
  exclusionCoversTracker,
  productsFromProcessNames,
  scanLogText,
  scanLogs,
  securityCollector,
  vendorOf,
} from '../../src/facts/security.js';
import { tempDir } from '../helpers/cli.js';
import { collect, fakeExec, fixture, winContext } from './os-helpers.js';

describe('security parsers', () => {
  it.each([
    ['Windows Defender', 'Microsoft'],
    ['ESET Security', 'ESET'],
    ['AVG Antivirus', 'AVG'],
    ['Avast Free Antivirus', 'Avast'],
    ['Kaspersky Total Security', 'Kaspersky'],
    ['Norton 360', 'Norton'],
    ['Some Unknown AV', null],
  ])('vendorOf(%s) = %s', (n, v) => {
    expect(vendorOf(n)).toBe(v);
  });

  it('known products from the recorded macOS process list', () => {
    const names = parseMacPs(fixture('darwin', 'ps-sample1.txt')).map((r) => path.posix.basename(r.comm));
    expect(productsFromProcessNames(names)).toEqual([
      {
        name: 'ESET',
        vendor: 'ESET',
        source: 'process',
        state: 'running',
        upToDate: null,
        productState: null,
        productStateHex: null,
        evidence: ['eset_service', 'esets_daemon'],
      },
    ]);
    expect(productsFromProcessNames(['bash', 'node', 'Upwork'])).toEqual([]);
    expect(productsFromProcessNames(['clamd', 'falcon-sensor']).map((p) => p.vendor)).toEqual([
      'CrowdStrike',
      'ClamAV',
    ]);
  });

  it('exclusionCoversTracker: a parent folder or the process name counts; a sibling folder does not', () => {
    const dirs = ['C:\\Program Files\\Upwork\\', 'C:\\Users\\f\\AppData\\Local\\Upwork'];
    expect(exclusionCoversTracker({ paths: ['C:\\Program Files\\Upwork'], processes: [] }, dirs)).toEqual({
      coversTracker: true,
      matched: ['C:\\Program Files\\Upwork'],
    });
    expect(
      exclusionCoversTracker({ paths: ['c:\\users\\f\\appdata\\local'], processes: [] }, dirs).coversTracker,
    ).toBe(true);
    expect(
      exclusionCoversTracker({ paths: ['C:\\Program Files\\Up'], processes: ['chrome.exe'] }, dirs)
        .coversTracker,
    ).toBe(false);
    expect(exclusionCoversTracker({ paths: [], processes: ['Upwork.exe'] }, dirs).matched).toEqual([
      'Upwork.exe',
    ]);
  });

  it('scanLogText classifies upload errors and ignores ordinary lines', () => {
    const log = [
      '[2026-11-18 09:40:01.112] [info] upload: segment 2026-11-18T09:30 sent (204)',
      '[2026-11-18 09:50:02.301] [error] upload failed: Error: unable to get local issuer certificate',
      '[2026-11-18 09:51:02.301] [error] upload failed: Error: read ECONNRESET',
      '[2026-11-18 09:52:02.301] [warn] upload https://www.upwork.com/api/v3/diary blocked by policy',
      '[2026-11-18 09:53:02.301] [error] upload failed: HTTP 403 Forbidden from proxy 10.0.0.1:3128',
      '[2026-11-18 09:54:00.000] [info] UI thread blocked for 20 ms',
      '[2026-11-18 09:55:00.000] [info] 403 items in cache',
    ].join('\n');
    expect(scanLogText(log).map((m) => m.kind)).toEqual(['tls', 'reset', 'blocked', 'proxy-403']);
  });

  it('scanLogs reads the tail of *.log* files, newest first, and caps the samples', async () => {
    const dir = tempDir('uwd-logs-');
    writeFileSync(
      path.join(dir, 'main.log'),
      `${'x'.repeat(300 * 1024)}\n${'upload failed: read ECONNRESET\n'.repeat(7)}`,
    );
    writeFileSync(path.join(dir, 'main.log.1'), 'upload failed: CERT_HAS_EXPIRED\n');
    writeFileSync(path.join(dir, 'notes.txt'), 'ECONNRESET');
    const r = await scanLogs(dir);
    expect(r.counts).toEqual({ tls: 1, reset: 7, blocked: 0, 'proxy-403': 0 });
    expect(r.samples).toHaveLength(5);
    expect(r.filesScanned.map((f) => path.basename(f)).sort()).toEqual(['main.log', 'main.log.1']);
    expect(await scanLogs(path.join(dir, 'missing'))).toMatchObject({ filesScanned: [], samples: [] });
  });
});

describe('security collector', () => {
  it('Windows: SecurityCenter2 products decoded, Defender passive, hidden exclusions are not-collected', async () => {
    const { ctx } = winContext('batch-duplicates.json');
    const { value, sources } = await collect(securityCollector, ctx);
    expect(value.products.map((p) => [p.name, p.state, p.upToDate, p.productStateHex])).toEqual([
      ['Windows Defender', 'off', true, '0x060100'],
      ['ESET Security', 'on', true, '0x041000'],
    ]);
    expect(value.defender).toMatchObject({ amRunningMode: 'Passive Mode' });
    expect(value.exclusions).toMatchObject({ state: 'not-collected', reason: 'needs-admin' });
    expect(value.defenderEvents).toEqual([]);
    expect(sources.map((s) => s.kind)).toEqual(['file', 'command']);
  });

  it('Windows: readable exclusions say whether they cover the tracker', async () => {
    const { ctx } = winContext('batch-clean.json');
    const { value } = await collect(securityCollector, ctx);
    expect(value.exclusions).toEqual({
      state: 'collected',
      paths: ['C:\\Program Files\\Upwork'],
      processes: [],
      coversTracker: true,
      matched: ['C:\\Program Files\\Upwork'],
    });
  });

  it('macOS: products from the recorded process list, upload errors from the data folder', async () => {
    const data = tempDir('uwd-sec-');
    mkdirSync(path.join(data, 'Upwork', 'Logs'), { recursive: true });
    writeFileSync(
      path.join(data, 'Upwork', 'Logs', 'upwork.log'),
      '[2026-11-18 09:50:02.301] [error] upload failed: Error: self signed certificate in certificate chain\n',
    );
    const ctx = createTestContext({
      platform: 'darwin',
      exec: fakeExec({ ps: { stdout: fixture('darwin', 'ps-sample1.txt') } }),
    });
    const { value, sources } = await collect(securityCollector, ctx, { dataDir: data });
    expect(value.products.map((p) => p.name)).toEqual(['ESET']);
    expect(value.exclusions).toBeNull();
    expect(value.defenderEvents).toBeNull();
    expect(value.uploadErrors.counts.tls).toBe(1);
    expect(value.uploadErrors.samples[0]!.line).toMatch(/self signed certificate/);
    expect(sources[0]).toEqual({ kind: 'file', ref: path.join(data, 'Upwork', 'Logs', '*.log*') });
  });
});
