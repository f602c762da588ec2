/// <reference lib="dom" />
/**
 * The HTML pages with charts, rendered by the built CLI from real scenario runs, a failing network
 * run and a real bundle, then loaded in Debian's Chromium (playwright-core, one launch for the
 * file): no console errors, no requests, the key numbers in the DOM as text, and SVG shapes whose
 * sizes follow those numbers. Screenshots (light and dark, desktop and phone) go to
 * .tmp/screenshots for people to look at.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { haveChromium, launchChromium } from '../helpers/browser.js';
import { closedPort } from '../network/helpers/servers.js';

const SHOTS = path.join(ROOT, '.tmp', 'screenshots');
const VIEWS = [
  { name: 'desktop', width: 1000, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;

/** Render a scenario's report as HTML with the built CLI. */
async function scenarioHtml(dir: string, scenario: string): Promise<string> {
  const out = path.join(dir, `${scenario}.html`);
  const args = ['--scenario', scenario, '--cpu-window', '1', '--deadline', '60'];
  const r = await runCli([...args, '--format', 'html', '--output', out], { timeoutMs: 90_000 });
  expect(r.stderr).not.toMatch(/Error:|at .*\.js:\d+/);
  // 2 happens when a busy machine times a collector out (the page then says so); never a signal.
  expect([0, 1, 2], `${scenario}: exit ${r.code}\n${r.stderr}`).toContain(r.code);
  return out;
}

describe.skipIf(!haveChromium && !process.env.CI)('HTML charts in a real browser', () => {
  let browser: Browser;
  let dir: string;
  const pages = new Map<string, string>();

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // Outlives single tests (the pages are rendered once, then looked at by several tests).
    dir = mkdtempSync(path.join(os.tmpdir(), 'uwd-charts-'));
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Load a page at each width and scheme: screenshots, and the checks every page must pass (no
   * console errors, no request other than the file itself, the dark palette really applies).
   * Returns a desktop light page left open for the test's own assertions.
   */
  async function load(file: string, name: string): Promise<Page> {
    let keep: Page | undefined;
    for (const view of VIEWS) {
      for (const scheme of ['light', 'dark'] as const) {
        const page = await browser.newPage({ viewport: view, colorScheme: scheme });
        const problems: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
        });
        page.on('pageerror', (e) => problems.push(e.message));
        page.on('request', (req) => {
          if (!req.url().startsWith('file:')) problems.push(`request ${req.url()}`);
        });
        await page.goto(pathToFileURL(file).href);
        await page.screenshot({
          path: path.join(SHOTS, `${name}-${scheme}-${view.name}.png`),
          fullPage: true,
        });
        expect(problems).toEqual([]);
        const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        expect(bg).toBe(scheme === 'dark' ? 'rgb(13, 17, 23)' : 'rgb(246, 248, 250)');
        // Nothing sticks out sideways at phone width: wide charts scroll inside their own box.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow).toBeLessThanOrEqual(0);
        if (view.name === 'desktop' && scheme === 'light') keep = page;
        else await page.close();
      }
    }
    return keep!;
  }

  const caption = (page: Page, id: string) => page.locator(`#${id} .caption`).innerText();

  it('renders the four scenarios', async () => {
    for (const s of ['healthy', 'cache-near-lock', 'helper-cpu', 'clock-skew'])
      pages.set(s, await scenarioHtml(dir, s));
    for (const f of pages.values()) expect(readFileSync(f).length).toBeLessThan(1024 * 1024);
  }, 240_000);

  it('cache-near-lock: hours cached and time to the lock as text; the arc and bars follow them', async () => {
    const page = await load(pages.get('cache-near-lock')!, 'report-cache-near-lock');
    const gauge = await caption(page, 'chart-cache');
    const m = /^([\d.]+) h cached of ([\d.]+) h/.exec(gauge)!;
    const [cached, capacity] = [Number(m[1]), Number(m[2])];
    expect(cached).toBeGreaterThan(0);
    // The arc's length in the browser is the cached share of the half circle (radius 120).
    const arc = await page
      .locator('#chart-cache path.gauge-fill')
      .evaluate((p) => (p as SVGPathElement).getTotalLength());
    expect(arc).toBeCloseTo(Math.PI * 120 * (cached / capacity), 0);
    expect(await caption(page, 'chart-week')).toMatch(
      /Work Diary locks in 4 h 0 min \(\d{4}-\d{2}-\d{2} 12:00 UTC\)/,
    );
    const bars = await page.locator('#chart-week rect.seg.pending').count();
    expect(bars).toBeGreaterThan(0);
    expect(await page.locator('article').first().getAttribute('class')).toBe('fail');
    await page.close();

    const healthy = await load(pages.get('healthy')!, 'report-healthy');
    expect(await caption(healthy, 'chart-cache')).toMatch(/^0 h cached of 24 h/);
    expect(await healthy.locator('#chart-cache path.gauge-fill').count()).toBe(0); // empty cache, no arc
    expect(await healthy.locator('.verdict').first().innerText()).toMatch(/healthy|Nothing is failing/);
    await healthy.close();
  }, 60_000);

  it('helper-cpu: the CPU peak as text, drawn at its height against the thresholds', async () => {
    const page = await load(pages.get('helper-cpu')!, 'report-helper-cpu');
    const text = await caption(page, 'chart-cpu');
    const peak = Number(/^CPU peak ([\d.]+) %/.exec(text)![1]);
    expect(peak).toBeGreaterThan(0);
    const y = async (sel: string, attr: string) =>
      Number(await page.locator(`#chart-cpu ${sel}`).first().getAttribute(attr));
    const [dot, warn, base] = [
      await y('circle.peak', 'cy'),
      await y('line.mark.warn', 'y1'),
      await y('line.axis', 'y1'),
    ];
    expect(dot < warn).toBe(peak > 25);
    expect(dot).toBeLessThan(base);
    await page.close();
  }, 60_000);

  it('clock-skew: the offset as text, its dot in the fail band on the ahead side', async () => {
    const page = await load(pages.get('clock-skew')!, 'report-clock-skew');
    expect(await caption(page, 'chart-clock')).toMatch(/^Clock offset \+1[45] min/);
    const dot = page.locator('#chart-clock circle.dot.fail');
    expect(await dot.count()).toBe(1);
    expect(Number(await dot.getAttribute('cx'))).toBeGreaterThan(320);
    await page.close();
  }, 60_000);

  it('network --format html: the failing stage named and marked', async () => {
    const d = tempDir();
    const out = path.join(d, 'network.html');
    const port = await closedPort();
    const r = await runCli([
      'network',
      '--endpoint',
      `https://127.0.0.1:${port}/`,
      '--format',
      'html',
      '--output',
      out,
    ]);
    expect(r.code).toBe(1);
    const page = await load(out, 'network-failing');
    expect(await page.locator('.verdict').innerText()).toContain('fails at TCP');
    expect(await caption(page, 'endpoint-0')).toMatch(/fails at TCP after \d+ ms \(ECONNREFUSED\)/);
    expect(await page.locator('#endpoint-0 rect.stage.fail').getAttribute('data-stage')).toBe('tcp');
    expect(await page.locator('#endpoint-0 text', { hasText: 'not reached' }).count()).toBe(3);
    await page.close();
  }, 60_000);

  it('inspect --format html: integrity, both verdicts, redaction and the log timeline of a real bundle', async () => {
    const d = tempDir();
    const home = tempDir('uwd-home-');
    const b = await runCli(
      ['bundle', '--scenario', 'cache-near-lock', '--yes', '--out', d, '--ticket', '77'],
      {
        home,
        timeoutMs: 90_000,
      },
    );
    expect(b.code, b.stderr).toBe(0);
    const zip = path.join(
      d,
      readdirSync(d).find((f) => f.endsWith('.zip'))!,
    );
    // The bundle carries the report page with its charts.
    const inner = execFileSync('unzip', ['-p', zip, 'report.html']).toString();
    expect(inner).toContain('id="chart-cache"');
    const out = path.join(d, 'inspect.html');
    // Scenario logs carry the scenario's simulated days; 72 h covers them.
    const r = await runCli(['inspect', zip, '--format', 'html', '--output', out, '--hours', '72'], { home });
    expect(r.code, r.stderr).toBe(0);
    const page = await load(out, 'inspect-bundle');
    expect(await page.locator('#integrity').innerText()).toMatch(/^Integrity: OK, all \d+ entries match/);
    expect(await page.locator('#findings h2').allInnerTexts()).toEqual([
      'When the bundle was made',
      'Re-run now on the bundled facts',
    ]);
    expect(await page.locator('#findings article.fail h3').first().innerText()).toContain('cache-fullness');
    expect(await caption(page, 'timeline')).toMatch(
      /The problem started at 2026-\d\d-\d\d \d\d:\d\d \(log time\): .*Offline/,
    );
    expect(await page.locator('#timeline rect.ev').count()).toBeGreaterThan(10);
    expect(await page.locator('#timeline line.mark.start').count()).toBe(1);
    expect(await page.locator('#redaction').innerText()).toMatch(/value\(s\) replaced/);
    await page.close();
  }, 150_000);
});
