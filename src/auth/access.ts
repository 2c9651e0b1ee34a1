// Access control for every route: who is asking (Bearer key, or a ticket on the two streaming
// routes), whether the route's scope allows it, and whether a websocket's Origin is allowed.
//
// Each route's scope is fixed when it is registered (its own `config.scope`, else ROUTE_POLICY,
// else `admin`), so a request only reads `req.routeOptions.config.scope`. Websocket refusals are
// not answered with HTTP: a browser cannot read the status of a failed upgrade, so the socket is
// accepted and closed at once with 4401/4403 and a reason. Every websocket route is wrapped at
// registration, so a new one cannot forget the check.
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { FleetError } from '../errors.ts';
import { ANONYMOUS, Keyring, type Principal } from './keys.ts';
import { originAllowed } from './origins.ts';
import { ROUTE_POLICY } from './policy.ts';
import { grants, type RouteScope } from './scopes.ts';
import { TicketStore } from './tickets.ts';
import type { Config } from '../config.ts';
import { registerCors } from './cors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route requires; routes that do not say get theirs from src/auth/policy.ts. */
    scope?: RouteScope;
    /** Also accept `?ticket=` (from POST /auth/ticket) instead of the Authorization header. */
    ticket?: boolean;
    /** Set at registration on websocket routes, whose handler closes refused sockets. */
    socketGuarded?: boolean;
  }
  interface FastifyRequest {
    /** Who made the request; null on public routes. */
    principal: Principal | null;
    /** Set instead of throwing when a websocket upgrade is refused (see the file comment). */
    wsRefusal: FleetError | null;
  }
  interface FastifyInstance {
    access: AccessControl;
  }
}

export const WS_CLOSE = { FLEET_UNAUTHORIZED: 4401, FLEET_FORBIDDEN: 4403 } as const;

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

export class AccessControl {
  readonly keyring: Keyring;
  readonly tickets: TicketStore;
  /** No keys configured: every route is open (and main.ts only binds to loopback). */
  readonly open: boolean;
  readonly #corsOrigins: readonly string[];
  readonly #scopes = new Map<string, RouteScope>();
  /** Routes registered with no scope in their config nor in ROUTE_POLICY (treated as admin). */
  readonly undeclared: string[] = [];

  constructor(auth: Config['auth'], now?: () => number) {
    this.keyring = new Keyring(auth.keys);
    this.tickets = new TicketStore({ ttlMs: auth.ticketTtlMs, ...(now ? { now } : {}) });
    this.open = auth.keys.length === 0;
    this.#corsOrigins = auth.corsOrigins;
  }

  /** The scope a registered route requires, or undefined for a route that does not exist. */
  scopeOf(method: string, url: string): RouteScope | undefined {
    return this.#scopes.get(`${method.toUpperCase()} ${url}`);
  }

  /** onRoute: fixes the route's scope in its config, and guards websocket handlers. */
  resolveRoute(route: RouteOptions): void {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).map((m) => m.toUpperCase());
    const declared = route.config?.scope;
    let scope: RouteScope | undefined = declared;
    for (const m of methods) {
      const policy = ROUTE_POLICY[`${m === 'HEAD' ? 'GET' : m} ${route.url}`] ?? (m === 'OPTIONS' ? 'public' : undefined);
      scope ??= policy;
    }
    if (scope === undefined) {
      this.undeclared.push(`${methods.join(',')} ${route.url}`);
      scope = 'admin';
    }
    for (const m of methods) this.#scopes.set(`${m} ${route.url}`, scope);
    route.config = { ...route.config, scope };
    if (route.websocket && !methods.every((m) => m === 'HEAD')) {
      route.config.socketGuarded = true;
      // The websocket plugin's onRoute (registered after ours) takes this as the socket handler.
      route.handler = guardSocket(route.handler as unknown as SocketHandler) as unknown as RouteOptions['handler'];
    }
  }

  /** onRequest: sets req.principal or refuses the request. */
  authenticate(req: FastifyRequest): void {
    const cfg = req.routeOptions.config;
    const isUpgrade = req.headers.upgrade?.toLowerCase() === 'websocket';
    try {
      if (isUpgrade) this.#checkOrigin(req);
      // A route registered before installAccessControl has no scope: fail closed. Only the
      // not-found handler (no route at all) is open.
      const scope = cfg.scope ?? (req.is404 ? 'public' : 'admin');
      if (scope === 'public') return;
      const principal = this.open ? ANONYMOUS : this.#identify(req, cfg.ticket === true);
      if (!grants(principal.scopes, scope)) {
        throw new FleetError('FLEET_FORBIDDEN', `Key ${principal.name} does not have the ${scope} scope this route needs`);
      }
      req.principal = principal;
    } catch (err) {
      // A websocket route closes the socket itself (guardSocket); anything else answers HTTP.
      if (isUpgrade && cfg.socketGuarded === true && err instanceof FleetError) {
        req.wsRefusal = err;
        return;
      }
      throw err;
    }
  }

  #identify(req: FastifyRequest, ticketAllowed: boolean): Principal {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const m = BEARER.exec(header);
      if (!m?.[1]) throw unauthorized('The Authorization header must be `Bearer <key>`');
      const p = this.keyring.verify(m[1]);
      if (!p) throw unauthorized('Unknown API key');
      return p;
    }
    const ticket = (req.query as Record<string, unknown> | undefined)?.ticket;
    if (ticketAllowed && typeof ticket === 'string' && ticket.length > 0) {
      const jobId = (req.params as Record<string, string | undefined> | undefined)?.id ?? null;
      const r = this.tickets.redeem(ticket, { jobId });
      if (!r.ok) throw unauthorized(`Ticket refused: ${r.reason}; ask POST /auth/ticket for a new one`);
      const p = this.keyring.byName(r.principal);
      if (!p) throw unauthorized('Ticket refused: its key no longer exists');
      return p;
    }
    throw unauthorized(ticketAllowed
      ? 'Send `Authorization: Bearer <key>`, or `?ticket=` from POST /auth/ticket'
      : 'Send `Authorization: Bearer <key>`');
  }

  #checkOrigin(req: FastifyRequest): void {
    const origin = req.headers.origin;
    // Non-browser clients send no Origin; browsers always do on a websocket handshake.
    if (origin === undefined) return;
    if (!originAllowed(this.#corsOrigins, origin, req.headers.host)) {
      throw new FleetError('FLEET_FORBIDDEN', `Origin ${origin} is not in CORS_ORIGINS`);
    }
  }
}

function unauthorized(detail: string): FleetError {
  return new FleetError('FLEET_UNAUTHORIZED', detail, { headers: { 'www-authenticate': 'Bearer realm="comfy-fleet"' } });
}

interface ClosableSocket {
  close(code?: number, reason?: string): void;
}
type SocketHandler = (this: unknown, socket: ClosableSocket, req: FastifyRequest) => unknown;

function guardSocket(handler: SocketHandler): SocketHandler {
  return function guarded(this: unknown, socket, req) {
    const refusal = req.wsRefusal;
    if (refusal) {
      const code = refusal.code === 'FLEET_FORBIDDEN' ? WS_CLOSE.FLEET_FORBIDDEN : WS_CLOSE.FLEET_UNAUTHORIZED;
      // Close reasons are limited to 123 bytes.
      socket.close(code, Buffer.from(refusal.message).subarray(0, 120).toString());
      return undefined;
    }
    return handler.call(this, socket, req);
  };
}

/**
 * Wires access control (and CORS) into the app. Call at the root before @fastify/websocket and
 * before any route is registered, so the onRoute hook sees (and wraps) every route.
 */
export async function installAccessControl(app: FastifyInstance, config: Config): Promise<AccessControl> {
  const access = new AccessControl(config.auth);
  app.decorate('access', access);
  app.decorateRequest('principal', null);
  app.decorateRequest('wsRefusal', null);
  app.addHook('onRoute', (route) => access.resolveRoute(route));
  // CORS answers first, so a refused request still carries the headers a browser needs to read it.
  await registerCors(app, config.auth.corsOrigins);
  app.addHook('onRequest', async (req) => access.authenticate(req));
  return access;
}
