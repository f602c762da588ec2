/**
 * The HTTP plumbing of the work-diary server, kept apart from its routes: request-target parsing
 * that never throws outside a handler, bounded bodies, and one JSON answer shape. A request a
 * network or a hostile local process can produce must end in an HTTP error, never in a crash of
 * the server (which runs inside the doctor during a check).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../protocol.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly retryAfter?: string,
  ) {
    super(message);
  }
}

/** Largest JSON body any route accepts. */
export const JSON_LIMIT = 1024 * 1024;
/** Largest request head (request line + headers) the server reads. */
export const MAX_HEADER_BYTES = 16 * 1024;

export type Answer =
  { status: number; body: unknown; headers?: Record<string, string> } | { raw: Buffer; type: string };

/**
 * The request target as a URL. Only origin-form (`/path?query`) is served: absolute-form
 * (`http://host/…`) is for proxies, and `//x` would be read by `new URL` as a host. Anything else
 * is a 400.
 */
export function parseTarget(raw: string | undefined): URL {
  const target = raw ?? '';
  if (!target.startsWith('/') || target.startsWith('//'))
    throw new HttpError(400, 'BAD_REQUEST', 'the request target must be a path starting with one "/"');
  try {
    return new URL(target, 'https://localhost');
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'the request target is not a valid path');
  }
}

/** decodeURIComponent that answers 400 on a bad escape (`%zz`) instead of throwing URIError. */
export function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'the path holds a bad %-escape');
  }
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new HttpError(413, 'TOO_LARGE', `body over ${limit} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, 'TOO_LARGE', `body over ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('close', () => reject(new HttpError(400, 'BAD_REQUEST', 'the body was cut off')));
  });
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req, JSON_LIMIT);
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'body is not valid JSON');
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export async function readObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readJson(req);
  if (!isObject(body)) throw new HttpError(400, 'BAD_REQUEST', 'body must be an object');
  return body;
}

/** Write an answer unless the client is already gone. `date` is the server's (possibly skewed) time. */
export function sendAnswer(res: ServerResponse, out: Answer, date: number, head: boolean): void {
  if (res.headersSent || res.destroyed) return;
  if ('raw' in out) {
    res.writeHead(200, {
      'Content-Type': out.type,
      'Content-Length': String(out.raw.length),
      Date: new Date(date).toUTCString(),
    });
    res.end(head ? undefined : out.raw);
    return;
  }
  const text = JSON.stringify(out.body);
  res.writeHead(out.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    Date: new Date(date).toUTCString(),
    ...out.headers,
  });
  res.end(text);
}

export function errorAnswer(e: unknown, serverTime: number): { answer: Answer; error: HttpError } {
  const error =
    e instanceof HttpError ? e : new HttpError(500, 'INTERNAL', e instanceof Error ? e.message : String(e));
  return {
    error,
    answer: {
      status: error.status,
      body: { serverTime, error: { code: error.code, message: error.message } },
      headers: {
        ...(error.retryAfter ? { 'Retry-After': error.retryAfter } : {}),
        // The rest of an oversized body is never read: close rather than parse it as a request.
        ...(error.status === 413 ? { Connection: 'close' } : {}),
      },
    },
  };
}
