// Which scope each route needs, for the routes that do not declare `config: { scope }` themselves.
// Routes we own declare their scope next to their schema; this table covers the rest in one
// auditable place. A route found in neither is treated as `admin` (fail closed) and listed by
// AccessControl.undeclared, which test/auth/coverage.test.ts requires to be empty.
import type { RouteScope } from './scopes.ts';

export const ROUTE_POLICY: Readonly<Record<string, RouteScope>> = {
  // Probes, the contract and the demo page: no credentials.
  'GET /health': 'public',
  'GET /ready': 'public',
  'GET /openapi.json': 'public',
  'GET /openapi.yaml': 'public',
  'GET /docs': 'public',
  'GET /docs/:asset': 'public',
  'GET /': 'public',
  'GET /web/:file': 'public',

  // Servers: anyone may look, only admins change the pool or read raw server logs.
  'GET /servers': 'read',
  'GET /servers/:id': 'read',
  'GET /servers/:id/logs': 'admin',
  'POST /servers': 'admin',
  'POST /servers/:id/drain': 'admin',
  'POST /servers/:id/restart': 'admin',
  'DELETE /servers/:id': 'admin',

  // Templates: clients read them to know what to submit; only admins edit them.
  'GET /templates': 'read',
  'GET /templates/:name': 'read',
  'GET /templates/:name/versions/:version': 'read',
  'GET /templates/:name/workflow': 'read',
  'POST /templates/:name/render': 'submit',
  'POST /templates': 'admin',
  'PUT /templates/:name': 'admin',
  'DELETE /templates/:name': 'admin',

  // Uploads belong to their key like jobs (the route filters by owner).
  'POST /uploads': 'submit',
  'GET /uploads/:id': 'read',
};
