/**
 * Every secret class a bundle must never carry (fixtures/redaction/classes.tsv: webhooks with a
 * secret in the path, URL credentials, cloud keys, GitHub/GitLab/Slack/npm tokens, OpenAI and
 * Anthropic keys, JWTs, PEM keys, Basic auth, cookies, database connection strings, memos, home
 * paths), planted in a log, in the facts and in a tracker process's command line of a real
 * bundle, read back by Python's zipfile: none survives, and an ordinary log survives byte for byte.
 * secretlint's recommended preset vets the rules: what it finds in the raw canaries, it must not
 * find in what the redactor writes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Redactor, toBinary } from '../../../src/report/redact/redactor.js';
import { RULES, mayHoldSecret } from '../../../src/report/redact/rules.js';
import { tempDir } from '../../helpers/cli.js';
import { FIX, bulkLog, haveBinary, pythonUnzip } from '../../e2e/bundle-helpers.js';
import { makeBundle, testFacts } from './make-bundle.js';

interface Canary {
  cls: string;
  line: string;
  secrets: string[];
}

const classes: Canary[] = readFileSync(path.join(FIX, 'classes.tsv'), 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => {
    const [cls = '', line = '', ...secrets] = l.split('\t');
    return { cls, line, secrets };
  });

const corpusLines = [
  ...readFileSync(path.join(FIX, 'canaries.log'), 'utf8').split('\n'),
  ...readFileSync(path.join(FIX, 'more-canaries.log'), 'utf8').split('\n'),
  ...classes.map((c) => c.line),
];

describe('secret classes', () => {
  it('has a canary for every class the bundle promises to cover', () => {
    const need = ['slack-webhook', 'discord-webhook', 'teams-webhook', 'url-credentials', 'aws-access-key'];
    need.push(
      'aws-secret-key',
      'gcp-api-key',
      'gcp-service-account',
      'azure-storage-key',
      'azure-client-secret',
    );
    need.push(
      'github-token',
      'gitlab-token',
      'slack-token',
      'npm-token',
      'openai-key',
      'anthropic-key',
      'jwt',
    );
    need.push('pem-private-key', 'basic-auth', 'cookie', 'db-url', 'db-ado', 'db-jdbc', 'memo', 'home-path');
    expect(classes.map((c) => c.cls)).toEqual(expect.arrayContaining(need));
  });

  it.each(classes)('the redactor removes $cls', ({ line, secrets }) => {
    const out = new Redactor({ hostname: 'ws-dana-01' }).redactLine(toBinary(line));
    for (const s of secrets) expect(out).not.toContain(s);
    expect(out).toMatch(/^\[2026-11-16T10:05:00\.0\d\d\] \[[A-Z]+\] /);
  });

  it('the prefilter never hides a line a rule would change (canaries and random mixes)', () => {
    const hit = (l: string) => RULES.some((r) => r.find(l).length > 0);
    for (const l of corpusLines) if (hit(l)) expect(mayHoldSecret(l), l).toBe(true);
    const parts = corpusLines.flatMap((l) => l.split(/(?<=[\s=:;,"/])/)).filter(Boolean);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...parts), { minLength: 1, maxLength: 6 }), (ws) => {
        const l = ws.join('');
        if (hit(l)) expect(mayHoldSecret(l), l).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe.skipIf(!haveBinary('python3') || !haveBinary('unzip'))('secret classes in a real bundle', () => {
  it('never reach the archive from logs, facts or a tracker command line; ordinary logs survive byte for byte', async () => {
    const root = tempDir();
    const ordinary = bulkLog(200_000, 3);
    const first = await makeBundle(root, { confirm: false });
    // Bundle again with the classes planted (the second call reuses the same tracker folder).
    writeFileSync(
      path.join(first.logsDir, 'upwork..20261116.log'),
      classes.map((c) => `${c.line}\n`).join(''),
    );
    writeFileSync(path.join(first.logsDir, 'upwork..20261115.log'), ordinary);
    const facts = testFacts(first.dataDir);
    (facts.items as Record<string, unknown>).planted = { lines: classes.map((c) => c.line) };
    const cmd = (c: Canary) => `/opt/Upwork/upwork --type=renderer --note=${JSON.stringify(c.line)}`;
    const r = await makeBundle(root, {
      facts,
      processes: {
        processes: [
          ...classes.map((c, i) => ({ pid: 1000 + i, ppid: 1, name: 'upwork', cmd: cmd(c) })),
          {
            pid: 99,
            ppid: 1,
            name: 'bash',
            cmd: 'bash -c "deploy --token ghp_NotATrackerProcessToken00000000000"',
          },
        ],
      },
    });
    execFileSync('unzip', ['-tq', r.path]);
    const entries = pythonUnzip(r.path);
    const all = Buffer.concat([
      Buffer.from(Object.keys(entries).join('\n')),
      ...Object.values(entries),
    ]).toString();
    for (const c of classes)
      for (const s of c.secrets) expect(all.includes(s), `${c.cls} leaked: ${s}`).toBe(false);
    expect(entries['logs/tracker/upwork..20261115.log']?.equals(ordinary)).toBe(true);
    const procs = JSON.parse(entries['system/processes.json']?.toString() ?? '{}') as {
      processes: { pid: number; name: string; cmd?: string }[];
    };
    // Other programs' command lines are left out; the tracker's are kept, redacted.
    expect(procs.processes.find((p) => p.pid === 99)).toEqual({ pid: 99, ppid: 1, name: 'bash' });
    expect(procs.processes.find((p) => p.pid === 1000)?.cmd).toMatch(
      /^\/opt\/Upwork\/upwork --type=renderer /,
    );
  });
});

describe('secretlint (recommended preset) vets the rules', () => {
  it('finds secrets in the raw canaries, and none in what the redactor writes', async () => {
    const { lintSource } = await import('@secretlint/core');
    const { creator } = await import('@secretlint/secretlint-rule-preset-recommend');
    const lint = async (content: string) =>
      (
        await lintSource({
          source: { filePath: '/canaries.log', content, contentType: 'text' },
          options: {
            config: { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: creator }] },
          },
        })
      ).messages;
    const raw = corpusLines.join('\n');
    expect((await lint(raw)).length).toBeGreaterThanOrEqual(10);
    const redacted = new Redactor({ hostname: 'ws-dana-01' }).redactBinaryText(toBinary(raw));
    expect(
      (await lint(redacted)).map((m) => `${m.ruleId}: ${redacted.slice(m.range[0], m.range[1])}`),
    ).toEqual([]);
  });
});

describe('the prefilter over a whole buffer', () => {
  it('firstLine picks exactly the lines the per-line test picks, short words and learned values included', () => {
    const r = new Redactor({ hostname: 'ws-dana-01', usernames: ['bo', 'dwhitfield'] });
    const parts = [
      ...corpusLines,
      'plain line keyboard=3 logs',
      'mail a@b',
      'bo went home',
      'x Q~y',
      'nothing',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...parts), { minLength: 1, maxLength: 40 }), (ls) => {
        const buf = Buffer.from(ls.map((l) => `${toBinary(l)}\n`).join(''), 'latin1');
        const want: number[] = [];
        let at = 0;
        for (const l of ls) {
          const len = Buffer.byteLength(toBinary(l), 'latin1');
          if (r.needsWorkBytes(buf, at, at + len)) want.push(at);
          at += len + 1;
        }
        const got: number[] = [];
        let passed = 0;
        for (let s = 0, f = r.firstLineNeedingWork(buf, s, buf.length); f !== -1;) {
          passed += r.linesPassed();
          got.push(f);
          s = buf.indexOf(10, f) + 1;
          f = r.firstLineNeedingWork(buf, s, buf.length);
        }
        passed += r.linesPassed();
        expect(got).toEqual(want);
        expect(passed + got.length).toBe(ls.length);
      }),
      { numRuns: 500 },
    );
  });
});
