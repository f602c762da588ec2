/**
 * Checking JSON that came from outside (a facts file, a bundle's manifest) against a JSON Schema,
 * with the first problem said in words: "items.disk.value.freeBytes must be a number (got "x")".
 */
import type AjvModule from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { escapeControl } from './format.js';

/** The deepest nesting of arrays and objects in JSON text, read without recursion. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) max = Math.max(max, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

const compiled = new Map<object, ValidateFunction>();
let shared: AjvModule.default | undefined;

/** ajv is loaded only when a file is checked, so --help and ordinary runs never load it. */
async function validator(schema: object): Promise<ValidateFunction> {
  const known = compiled.get(schema);
  if (known) return known;
  if (!shared) {
    const mod = (await import('ajv')) as unknown as { default: typeof AjvModule.default };
    // discriminator: a union tagged by a constant (`state`) reports errors from the branch meant.
    // One instance for every schema, and no meta-schema check of our own schemas: each instance
    // and each check compiles the meta-schema first, which cost inspect most of a second.
    shared = new mod.default({
      discriminator: true,
      strict: false,
      allErrors: false,
      validateSchema: false,
      code: { optimize: false },
    });
  }
  const fresh = shared.compile(schema);
  compiled.set(schema, fresh);
  return fresh;
}

/** `/items/contracts/value/0` → `items.contracts.value[0]` (JSON Pointer unescaped, names escaped). */
export function fieldName(pointer: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : `${out ? '.' : ''}${escapeControl(p)}`;
  return out || 'the top level';
}

function got(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `"${escapeControl(v.length > 40 ? `${v.slice(0, 40)}…` : v)}"`;
  return `${typeof v} ${String(v)}`;
}

/** The value that the error's instance path points at. */
function valueAt(data: unknown, pointer: string): unknown {
  let v = data;
  for (const p of pointer.split('/').slice(1)) {
    const key = p.replace(/~1/g, '/').replace(/~0/g, '~');
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  }
  return v;
}

/** One clause for the first validation error: "items.disk.value.freeBytes must be a number (got "x")". */
export function describeError(e: ErrorObject, data: unknown): string {
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'required') {
    const base = fieldName(e.instancePath);
    const name = escapeControl(String(p.missingProperty));
    return `${base === 'the top level' ? name : `${base}.${name}`} is missing`;
  }
  const field = fieldName(e.instancePath);
  const value = valueAt(data, e.instancePath);
  if (e.keyword === 'discriminator') {
    const tag = escapeControl(String(p.tag));
    const at = `${field === 'the top level' ? '' : `${field}.`}${tag}`;
    return p.error === 'tag'
      ? `${at} is missing or not text`
      : `${at} has an unknown value ${got((value as Record<string, unknown>)?.[String(p.tag)])}`;
  }
  const expected: Record<string, string> = {
    type: `must be ${article(String(p.type))}`,
    enum: `must be one of ${((p.allowedValues as unknown[]) ?? []).map((x) => JSON.stringify(x)).join(', ')}`,
    const: `must be ${JSON.stringify(p.allowedValue)}`,
    minimum: 'must be a time a date can hold (epoch milliseconds)',
    maximum: 'must be a time a date can hold (epoch milliseconds)',
  };
  return `${field} ${expected[e.keyword] ?? 'has the wrong shape'} (got ${got(value)})`;
}

const article = (type: string) =>
  ({
    array: 'a list',
    object: 'an object',
    string: 'text',
    number: 'a number',
    boolean: 'true or false',
    null: 'null',
  })[type] ?? type;

/** The first way `data` does not match `schema`, as one clause naming the field; undefined when it matches. */
export async function firstSchemaProblem(schema: object, data: unknown): Promise<string | undefined> {
  const validate = await validator(schema);
  if (validate(data)) return undefined;
  const first = validate.errors?.[0];
  return first ? describeError(first, data) : 'has the wrong shape';
}
