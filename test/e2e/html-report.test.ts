/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { haveChromium, launchChromium } from '../helpers/browser.js';

describe.skipIf(!haveChromium && !process.env.CI)('HTML report in a real browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('renders every finding, the verdict and the fix, with no external requests', async () => {
    const dir = tempDir();
    const facts = {
      factsVersion: 1,
      collectedAt: '2026-11-18T10:00:00.000Z',
      platform: 'linux',
      target: { kind: 'installed', dataDir: '/home/<USER>/.Upwork', found: true, reason: 'recorded' },
      host: { hostname: '<HOST>', os: 'linux', arch: 'x64', node: 'v20' },
      items: {
        disk: {
          state: 'collected',
          value: { path: '/home', freeBytes: 100 * 1024 * 1024, totalBytes: 10 * 1024 ** 3 },
          sources: [],
          durationMs: 1,
        },
        dataDir: {
          state: 'collected',
          value: {
            path: '/home/<USER>/.Upwork',
            exists: true,
            isDirectory: true,
            readable: true,
            writable: true,
            ownerUid: 0,
            processUid: 1000,
            mode: '755',
          },
          sources: [],
          durationMs: 1,
        },
      },
    };
    writeFileSync(path.join(dir, 'facts.json'), JSON.stringify(facts));
    const out = path.join(dir, 'report.html');
    const r = await runCli([
      '--facts',
      path.join(dir, 'facts.json'),
      '--only',
      'disk-space,data-dir',
      '--format',
      'html',
      '--output',
      out,
    ]);
    expect(r.code).toBe(1);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);

    const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
    const requests: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    await page.goto(pathToFileURL(out).href);
    expect(await page.title()).toBe('upwork-doctor report · <HOST>');
    const cards = page.locator('article');
    expect(await cards.count()).toBe(2);
    expect(await page.locator('article.fail h2').allInnerTexts()).toEqual([
      expect.stringMatching(/Tracker data folder/),
      expect.stringMatching(/Disk space/),
    ]);
    expect(await page.locator('.verdict').innerText()).toMatch(/2 problems found/);
    expect(await page.locator('article#data-dir .fix pre').first().innerText()).toBe(
      'sudo chown -R "$(id -un)" "/home/<USER>/.Upwork"',
    );
    // The failure colour really applies (CSS loaded, not blocked by the page's own CSP).
    const border = await page
      .locator('article#disk-space')
      .evaluate((el) => getComputedStyle(el).borderLeftColor);
    expect(border).toBe('rgb(207, 34, 46)');
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
    const shots = path.join(ROOT, '.tmp');
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, 'html-report.png'), fullPage: true });
    await page.close();
  });

  it('escapes hostile text from facts instead of running it', async () => {
    const dir = tempDir();
    const facts = {
      factsVersion: 1,
      collectedAt: '2026-11-18T10:00:00.000Z',
      platform: 'linux',
      target: {
        kind: 'installed',
        dataDir: '<img src=x onerror="document.title=\'pwned\'">',
        found: true,
        reason: 'recorded',
      },
      host: { hostname: '<script>document.title="pwned"</script>', os: 'linux', arch: 'x64', node: 'v20' },
      items: {},
    };
    writeFileSync(path.join(dir, 'facts.json'), JSON.stringify(facts));
    const out = path.join(dir, 'r.html');
    await runCli([
      '--facts',
      path.join(dir, 'facts.json'),
      '--only',
      'disk-space',
      '--format',
      'html',
      '--output',
      out,
    ]);
    const page = await browser.newPage();
    await page.goto(pathToFileURL(out).href);
    expect(await page.title()).not.toBe('pwned');
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('header p').first().innerText()).toContain('<img src=x');
    await page.close();
  });
});
