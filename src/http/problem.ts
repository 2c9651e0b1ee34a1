// Turns every failure into RFC 9457 problem+json with a stable code: our own FleetErrors,
// Fastify's framework errors (bad JSON, content type, body size, 404) and anything unexpected
// (logged with its stack, answered without it).
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ERRORS, FleetError, type ErrorCode } from '../errors.ts';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'FLEET_BAD_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'FLEET_BAD_JSON',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'FLEET_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'FLEET_INVALID_REQUEST',
  FST_ERR_CTP_BODY_TOO_LARGE: 'FLEET_BODY_TOO_LARGE',
  FST_REQ_FILE_TOO_LARGE: 'FLEET_BODY_TOO_LARGE',
  FST_PARTS_LIMIT: 'FLEET_BODY_TOO_LARGE',
  FST_FILES_LIMIT: 'FLEET_BODY_TOO_LARGE',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'FLEET_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_VALIDATION: 'FLEET_INVALID_REQUEST',
};

export function toFleetError(err: unknown): FleetError {
  if (err instanceof FleetError) return err;
  const fe = err as Partial<FastifyError> & { message?: string };
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) return new FleetError(mapped, fe.message ?? ERRORS[mapped].title, { cause: err });
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new FleetError('FLEET_INVALID_REQUEST', fe.message ?? 'Bad request', { cause: err });
  }
  return new FleetError('FLEET_INTERNAL', 'An unexpected error occurred; it has been logged.', { cause: err });
}

export function sendProblem(reply: FastifyReply, err: FleetError): FastifyReply {
  for (const [k, v] of Object.entries(err.headers)) void reply.header(k, v);
  return reply.code(err.statusCode).type('application/problem+json').send(JSON.stringify(err.toProblem()));
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const fleet = toFleetError(err);
    if (fleet.statusCode >= 500) request.log.error({ err }, 'request failed');
    else request.log.info({ code: fleet.code, detail: fleet.message }, 'request refused');
    return sendProblem(reply, fleet);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, new FleetError('FLEET_ROUTE_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`)),
  );
}
