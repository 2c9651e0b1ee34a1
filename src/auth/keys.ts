// API keys: parsed from the API_KEYS setting, kept only as SHA-256 digests, and verified in
// constant time. Hashing first gives equal-length buffers for timingSafeEqual and means the
// frozen Config (which may be logged or dumped) never holds a usable key.
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { SCOPES, type Scope } from './scopes.ts';

export interface ApiKey {
  /** Stable identity: owner of the jobs the key creates, rate-limit bucket, log field. */
  name: string;
  scopes: ReadonlySet<Scope>;
  digest: Buffer;
}

/** Who made a request. `anonymous` only exists when no keys are configured (open mode). */
export interface Principal {
  name: string;
  scopes: ReadonlySet<Scope>;
  /** Sees every job regardless of owner. */
  admin: boolean;
}

export const ANONYMOUS: Principal = Object.freeze({ name: '', scopes: new Set<Scope>(['admin']), admin: true });

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const SECRET = /^[A-Za-z0-9_.~+/=-]{16,256}$/;
const MIN_SECRET = 16;

export const digestOf = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/**
 * `name:secret:scope+scope` entries separated by commas, e.g.
 * `web:Zq3…:submit,ops:Xk9…:admin,grafana:Pp2…:read`. In CONFIG_FILE a YAML list of the same
 * entries works too. Problems are reported by entry number and never echo the secret.
 */
export const ApiKeysSchema = z.string().default('').transform((text, ctx): ApiKey[] => {
  const keys: ApiKey[] = [];
  const entries = text.split(',').map((e) => e.trim()).filter((e) => e.length > 0);
  const names = new Set<string>();
  const digests = new Set<string>();
  entries.forEach((entry, i) => {
    const where = `entry ${i + 1}`;
    const parts = entry.split(':');
    if (parts.length !== 3) {
      ctx.addIssue({ code: 'custom', message: `${where}: expected name:secret:scope+scope` });
      return;
    }
    const [name = '', secret = '', scopeList = ''] = parts;
    if (!NAME.test(name)) ctx.addIssue({ code: 'custom', message: `${where}: name must match ${NAME.source}` });
    if (secret.length < MIN_SECRET || !SECRET.test(secret)) {
      ctx.addIssue({ code: 'custom', message: `${where} (${name}): secret must be at least ${MIN_SECRET} characters of [A-Za-z0-9_.~+/=-]` });
    }
    const scopes = scopeList.split('+').filter((s) => s.length > 0);
    const bad = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (scopes.length === 0 || bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `${where} (${name}): scopes must be ${SCOPES.join(', ')} joined by +` });
    }
    if (names.has(name)) ctx.addIssue({ code: 'custom', message: `${where}: duplicate name ${name}` });
    const digest = digestOf(secret);
    if (digests.has(digest.toString('hex'))) ctx.addIssue({ code: 'custom', message: `${where} (${name}): same secret as another key` });
    names.add(name);
    digests.add(digest.toString('hex'));
    keys.push({ name, scopes: new Set(scopes as Scope[]), digest });
  });
  return keys;
});

/** Looks up presented secrets. Compares against every key so timing says nothing about which. */
export class Keyring {
  readonly #keys: readonly ApiKey[];

  constructor(keys: readonly ApiKey[]) {
    this.#keys = keys;
  }

  get size(): number {
    return this.#keys.length;
  }

  verify(secret: string): Principal | null {
    const digest = digestOf(secret);
    let found: ApiKey | null = null;
    for (const k of this.#keys) {
      if (timingSafeEqual(k.digest, digest) && found === null) found = k;
    }
    return found ? toPrincipal(found) : null;
  }

  byName(name: string): Principal | null {
    const k = this.#keys.find((x) => x.name === name);
    return k ? toPrincipal(k) : null;
  }
}

function toPrincipal(k: ApiKey): Principal {
  return { name: k.name, scopes: k.scopes, admin: k.scopes.has('admin') };
}
