#!/usr/bin/env node
/**
 * Derives the JSON Schema of a facts file (src/core/facts.schema.json) from the TypeScript types:
 * `Facts` with every fact that a collector adds to `FactMap` by module augmentation. The type
 * checker merges the augmentations, so the schema follows the collectors without a hand-kept copy.
 *
 *   node scripts/facts-schema.mjs           write the schema (npm run build does this first)
 *   node scripts/facts-schema.mjs --check   exit 1 when the committed schema is stale
 *
 * Objects accept extra properties (a newer doctor may record more); epoch-millisecond fields are
 * bounded to a Date's range (see TIME_NAME); a union of objects that share
 * a literal property (`state: 'collected' | 'not-collected'`) becomes a discriminated `oneOf`, so a
 * validation error points into the branch the data meant.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SCHEMA_FILE = path.join(ROOT, 'src/core/facts.schema.json');

function program() {
  const configPath = path.join(ROOT, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile).config;
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  return ts.createProgram(parsed.fileNames, { ...parsed.options, noEmit: true });
}

function literalOf(t) {
  if (t.isStringLiteral() || t.isNumberLiteral()) return { ok: true, value: t.value };
  if (t.flags & ts.TypeFlags.BooleanLiteral) return { ok: true, value: t.intrinsicName === 'true' };
  return { ok: false };
}

/** Converts checker types to schema nodes; a type met again inside itself becomes `{}` (any). */
class Converter {
  constructor(checker) {
    this.checker = checker;
    this.active = new Set();
  }

  convert(t) {
    const f = t.flags;
    if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return {};
    if (f & ts.TypeFlags.Null) return { type: 'null' };
    if (f & ts.TypeFlags.Union) return this.union(t);
    if (f & (ts.TypeFlags.StringLiteral | ts.TypeFlags.NumberLiteral | ts.TypeFlags.BooleanLiteral))
      return { const: literalOf(t).value };
    if (f & ts.TypeFlags.String || f & ts.TypeFlags.TemplateLiteral) return { type: 'string' };
    if (f & ts.TypeFlags.Number) return { type: 'number' };
    if (f & ts.TypeFlags.Boolean) return { type: 'boolean' };
    if (f & ts.TypeFlags.Object || f & ts.TypeFlags.Intersection) {
      if (this.active.has(t)) return {};
      this.active.add(t);
      try {
        return this.object(t);
      } finally {
        this.active.delete(t);
      }
    }
    return {};
  }

  union(t) {
    const parts = t.types.filter((p) => !(p.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)));
    const lits = parts.map(literalOf);
    if (lits.every((l) => l.ok)) return { enum: [...new Set(lits.map((l) => l.value))] };
    if (parts.length === 1) return this.convert(parts[0]);
    const branches = parts.map((p) => this.convert(p));
    const tag = discriminator(branches);
    if (tag)
      return { type: 'object', discriminator: { propertyName: tag }, required: [tag], oneOf: branches };
    return { anyOf: dedupe(branches) };
  }

  object(t) {
    const c = this.checker;
    if (c.isArrayType(t)) return { type: 'array', items: this.convert(c.getTypeArguments(t)[0]) };
    if (c.isTupleType(t)) return { type: 'array', items: c.getTypeArguments(t).map((a) => this.convert(a)) };
    const properties = {};
    const required = [];
    for (const p of c.getPropertiesOfType(t)) {
      const pt = c.getTypeOfSymbol(p);
      if (pt.getCallSignatures().length > 0) continue;
      const node = this.convert(c.getNonNullableType(pt) === pt ? pt : withoutUndefined(c, pt));
      properties[p.name] = TIME_NAME.test(p.name) ? boundTimes(node) : node;
      const optional = (p.flags & ts.SymbolFlags.Optional) !== 0 || acceptsUndefined(pt);
      if (!optional) required.push(p.name);
    }
    const node = { type: 'object', properties };
    if (required.length) node.required = required;
    const index =
      c.getIndexInfoOfType(t, ts.IndexKind.String) ?? c.getIndexInfoOfType(t, ts.IndexKind.Number);
    if (index) node.additionalProperties = this.convert(index.type);
    return node;
  }
}

/**
 * Epoch-millisecond fields are plain numbers to TypeScript; by the facts' naming (`fetchedAt`,
 * `startDate`, `slotStart`, `lastSuccessAt`, `engineNow`) they are bounded to what a Date can hold, so a damaged
 * time is refused on load instead of throwing "Invalid time value" inside a check.
 */
const TIME_NAME = /(At|Date|Start|Now)$/;
const DATE_LIMIT = 8.64e15;

function boundTimes(node) {
  if (node.type === 'number') return { ...node, minimum: -DATE_LIMIT, maximum: DATE_LIMIT };
  if (node.anyOf) return { ...node, anyOf: node.anyOf.map(boundTimes) };
  return node;
}

const acceptsUndefined = (t) =>
  Boolean(t.flags & ts.TypeFlags.Undefined) ||
  Boolean(t.flags & ts.TypeFlags.Union && t.types.some((p) => p.flags & ts.TypeFlags.Undefined));

function withoutUndefined(checker, t) {
  if (!(t.flags & ts.TypeFlags.Union)) return t;
  const kept = t.types.filter((p) => !(p.flags & ts.TypeFlags.Undefined));
  // Keep null: only undefined means "may be absent".
  return kept.length === t.types.length ? t : (checker.getUnionType?.(kept) ?? kept[0]);
}

function dedupe(nodes) {
  const seen = new Map(nodes.map((n) => [JSON.stringify(n), n]));
  return [...seen.values()];
}

/** A property that every branch requires with a distinct constant: the union's tag. */
function discriminator(branches) {
  if (!branches.every((b) => b.type === 'object' && b.properties)) return undefined;
  for (const name of branches[0].required ?? []) {
    const consts = branches.map((b) => b.properties[name]?.const);
    if (consts.every((v) => typeof v === 'string') && new Set(consts).size === consts.length) return name;
  }
  return undefined;
}

export function buildFactsSchema() {
  const prog = program();
  const checker = prog.getTypeChecker();
  const file = prog.getSourceFile(path.join(ROOT, 'src/core/facts.ts'));
  const sym = checker.getSymbolAtLocation(file).exports.get('Facts');
  const facts = checker.getDeclaredTypeOfSymbol(sym);
  const schema = new Converter(checker).convert(facts);
  return {
    $comment: 'Generated by scripts/facts-schema.mjs from the Facts type; do not edit.',
    ...schema,
  };
}

export function schemaText() {
  return `${JSON.stringify(buildFactsSchema(), null, 2)}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = schemaText();
  if (process.argv.includes('--check')) {
    const current = readFileSync(SCHEMA_FILE, 'utf8');
    if (current !== text) {
      console.error('src/core/facts.schema.json is stale: run `npm run facts-schema`.');
      process.exit(1);
    }
  } else {
    writeFileSync(SCHEMA_FILE, text);
    console.log(`wrote ${path.relative(ROOT, SCHEMA_FILE)} (${text.length} bytes)`);
  }
}
