/** JSON Schema (draft 2020-12 compatible subset) of `--format json`; tests validate output against it. */
export const reportSchema = {
  $id: 'https://upwork-doctor.dev/schema/report-1.json',
  type: 'object',
  required: [
    'schemaVersion',
    'tool',
    'target',
    'host',
    'startedAt',
    'durationMs',
    'findings',
    'summary',
    'exitCode',
  ],
  properties: {
    schemaVersion: { const: 1 },
    tool: {
      type: 'object',
      required: ['name', 'version'],
      properties: { name: { const: 'upwork-doctor' }, version: { type: 'string' } },
    },
    target: {
      type: 'object',
      required: ['kind', 'dataDir', 'found', 'reason'],
      properties: {
        kind: { enum: ['installed', 'embedded', 'scenario'] },
        dataDir: { type: 'string' },
        found: { type: 'boolean' },
        reason: { type: 'string' },
      },
    },
    host: {
      type: 'object',
      required: ['hostname', 'os', 'arch', 'node'],
      properties: {
        hostname: { type: 'string' },
        os: { type: 'string' },
        arch: { type: 'string' },
        node: { type: 'string' },
      },
    },
    startedAt: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T' },
    durationMs: { type: 'integer', minimum: 0 },
    deadlineHit: { type: 'boolean' },
    findings: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'title', 'status', 'code', 'summary', 'details', 'evidence', 'durationMs'],
        properties: {
          id: { type: 'string', pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' },
          title: { type: 'string' },
          status: { enum: ['pass', 'warn', 'fail', 'skip', 'error', 'timeout'] },
          code: { type: 'string', pattern: '^UWD-[A-Z0-9]+-[A-Z0-9]+$' },
          summary: { type: 'string', minLength: 1 },
          details: { type: 'array', items: { type: 'string' } },
          evidence: { type: 'object' },
          remediation: {
            type: 'object',
            required: ['text', 'commands', 'fixIds'],
            properties: {
              text: { type: 'string' },
              commands: { type: 'array', items: { type: 'string' } },
              docsUrl: { type: 'string' },
              fixIds: { type: 'array', items: { type: 'string' } },
            },
          },
          durationMs: { type: 'integer', minimum: 0 },
        },
      },
    },
    summary: {
      type: 'object',
      required: ['pass', 'warn', 'fail', 'skip', 'error', 'timeout', 'total'],
      properties: Object.fromEntries(
        ['pass', 'warn', 'fail', 'skip', 'error', 'timeout', 'total'].map((k) => [
          k,
          { type: 'integer', minimum: 0 },
        ]),
      ),
    },
    exitCode: { enum: [0, 1, 2, 3, 130] },
  },
} as const;
