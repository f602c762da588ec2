import { stat } from 'node:fs/promises';
import path from 'node:path';

/** The path itself if it exists, else its nearest existing ancestor, else undefined. */
export async function existingAncestor(p: string): Promise<string | undefined> {
  let cur = p;
  for (;;) {
    try {
      await stat(cur);
      return cur;
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return undefined;
      cur = parent;
    }
  }
}
