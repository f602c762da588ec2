/**
 * The import graph of src/ has no loops, and rooms import only rooms below them.
 *
 * Every kind of import counts: static, `import type`, re-exports and dynamic `import('...')`.
 * A lazy import changes when a module loads, not who depends on whom, and the loops this test was
 * written against were made of exactly those: a registration back-call (targets/resolve.ts lazily
 * importing scenario-loader.ts, which imported resolve.ts to register itself) and a type
 * (program.ts ↔ commands/* through CommandHost). Leaving either kind out would let them come back.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cycles, describeCycle, importGraph } from './import-graph.js';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

/**
 * The rooms, top to bottom (docs/architecture.md). A module may import its own room or a room of a
 * lower rank; rooms of one rank do not import each other.
 */
const RANK: Record<string, number> = {
  cli: 6,
  fixes: 5,
  report: 5,
  checks: 4,
  facts: 3,
  targets: 2,
  engine: 1,
  network: 1,
  core: 0,
};

const roomOf = (file: string) => path.relative(SRC, file).split(path.sep)[0]!;
const rel = (file: string) => path.relative(SRC, file);

describe('imports of src/', () => {
  const graph = importGraph(SRC);

  it('reads the whole tree, including dynamic and type-only imports', () => {
    expect(graph.size).toBeGreaterThan(100);
    // program.ts loads each command body lazily; the lazy edges must be in the graph.
    expect(graph.get(path.join(SRC, 'cli/commands/check.ts'))).toContain(path.join(SRC, 'cli/run-check.ts'));
  });

  it('has no import loop', () => {
    const loops = cycles(graph).map((c) => describeCycle(graph, c, SRC));
    expect(loops, `import loops in src/:\n${loops.join('\n')}`).toEqual([]);
  });

  it('has every room in the layer table', () => {
    const unknown = [...new Set([...graph.keys()].map(roomOf))].filter((r) => !(r in RANK));
    expect(unknown, 'a new folder in src/ needs its place in RANK and in docs/architecture.md').toEqual([]);
  });

  it('imports only downwards, room by room', () => {
    const upward: string[] = [];
    for (const [from, targets] of graph) {
      for (const to of targets) {
        const a = roomOf(from);
        const b = roomOf(to);
        if (a === b || !(a in RANK) || !(b in RANK)) continue;
        if (RANK[b]! >= RANK[a]!) upward.push(`${rel(from)} → ${rel(to)} (${a} may not import ${b})`);
      }
    }
    expect(upward, `imports that do not go down:\n${upward.join('\n')}`).toEqual([]);
  });

  it('keeps checks pure: a check imports only core/ and facts/ (types and pure helpers)', () => {
    const reached: string[] = [];
    for (const [from, targets] of graph) {
      if (roomOf(from) !== 'checks') continue;
      for (const to of targets) {
        if (!['checks', 'core', 'facts'].includes(roomOf(to))) reached.push(`${rel(from)} → ${rel(to)}`);
      }
    }
    expect(reached, `checks reaching past facts:\n${reached.join('\n')}`).toEqual([]);
  });
});

describe('the loop finder', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'uwd-imports-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };

  it('finds a loop closed by a lazy import and a type import, and names its path', () => {
    const a = write('a.ts', "export async function f() { const { g } = await import('./b.js'); return g(); }\n");
    write('b.ts', "import type { T } from './c.js';\nexport const g = (): T | undefined => undefined;\n");
    write('c.ts', "export type { X as T } from './a.js';\nexport interface X { n: number }\n");
    write('d.ts', "import { g } from './b.js';\nexport const h = g;\n");
    const g = importGraph(dir);
    const found = cycles(g);
    expect(found).toHaveLength(1);
    expect(found[0]).toEqual([a, path.join(dir, 'b.ts'), path.join(dir, 'c.ts')]);
    expect(describeCycle(g, found[0]!, dir)).toBe('a.ts → b.ts → c.ts → a.ts');
  });

  it('finds a module that imports itself, and nothing in a tree', () => {
    write('a.ts', "import './a.js';\n");
    write('b.ts', 'export {};\n');
    write('c.ts', "import './b.js';\n");
    write('d.ts', "import './c.js';\nimport './b.js';\n");
    const g = importGraph(dir);
    expect(cycles(g).map((c) => describeCycle(g, c, dir))).toEqual(['a.ts → a.ts']);
  });
});
