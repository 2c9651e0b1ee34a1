// Scopes a key can hold, and what each grants. They nest: `admin` ⊃ `submit` ⊃ `read`, so a key
// that submits jobs can also follow them, and an admin key can do everything.
export const SCOPES = ['read', 'submit', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** What a route requires: one of the scopes, or nothing at all (`public`). */
export type RouteScope = Scope | 'public';

const RANK: Record<Scope, number> = { read: 0, submit: 1, admin: 2 };

/** True when a key holding `held` may use a route that requires `needed`. */
export function grants(held: ReadonlySet<Scope>, needed: RouteScope): boolean {
  if (needed === 'public') return true;
  for (const s of held) if (RANK[s] >= RANK[needed]) return true;
  return false;
}
