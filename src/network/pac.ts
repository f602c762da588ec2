/**
 * Loading a PAC file: from a path, file:// URL, or http(s) URL (fetched directly, as browsers
 * fetch PAC files), bounded in time and size. The text is evaluated only inside the QuickJS sandbox.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import { ProbeError, bounded } from './transport.js';

const MAX_PAC_BYTES = 1024 * 1024;

export async function loadPacText(source: string, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  if (/^https?:\/\//i.test(source)) {
    return bounded(
      (onCancel) =>
        new Promise<string>((resolve, reject) => {
          const mod = source.toLowerCase().startsWith('https') ? https : http;
          const req = mod.get(source, { headers: { 'user-agent': 'upwork-doctor' } }, (res) => {
            if ((res.statusCode ?? 0) >= 400) {
              res.resume();
              reject(
                new ProbeError(
                  `HTTP_${res.statusCode}`,
                  `the PAC file at ${source} answered ${res.statusCode}`,
                ),
              );
              return;
            }
            const chunks: Buffer[] = [];
            let n = 0;
            res.on('data', (d: Buffer) => {
              n += d.length;
              if (n > MAX_PAC_BYTES) {
                req.destroy();
                reject(new ProbeError('TOO_LARGE', `the PAC file at ${source} is larger than 1 MiB`));
              } else chunks.push(d);
            });
            res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
            res.on('error', reject);
          });
          onCancel(() => req.destroy());
          req.on('error', reject);
        }),
      timeoutMs,
      signal,
      `fetching the PAC file ${source}`,
    );
  }
  const file = source.startsWith('file:') ? fileURLToPath(source) : source;
  const text = await readFile(file, 'utf8');
  if (text.length > MAX_PAC_BYTES)
    throw new ProbeError('TOO_LARGE', `the PAC file ${file} is larger than 1 MiB`);
  return text;
}
