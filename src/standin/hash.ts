import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** sha256 of a file, or null when it cannot be read (used as LoadImage's IS_CHANGED). */
export function fileSha256(path: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return null;
  }
}
