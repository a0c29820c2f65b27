/**
 * The one place errors become the api.md envelope. Anything a client can send
 * (malformed JSON, wrong types, oversized bodies, bad ids) maps to a 4xx; only a
 * fault of ours is a 500, logged with the request and never echoed to the client.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './errors.ts';
import { ErrorCode } from '../contracts/error-codes.ts';
import type { ErrorEnvelope } from '../contracts/envelope.ts';

const FASTIFY_CODES: Record<string, { status: number; code: string; message?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: ErrorCode.MALFORMED_JSON, message: 'request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: ErrorCode.MALFORMED_JSON, message: 'request body is empty' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: ErrorCode.PAYLOAD_TOO_LARGE, message: 'request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: ErrorCode.UNSUPPORTED_MEDIA_TYPE, message: 'unsupported content type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: ErrorCode.VALIDATION_FAILED, message: 'invalid content length' },
  FST_ERR_BAD_URL: { status: 400, code: ErrorCode.VALIDATION_FAILED, message: 'malformed URL' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: ErrorCode.VALIDATION_FAILED },
};

const STATUS_CODES: Record<number, string> = {
  400: ErrorCode.VALIDATION_FAILED,
  401: ErrorCode.AUTHENTICATION_REQUIRED,
  404: ErrorCode.ROUTE_NOT_FOUND,
  405: ErrorCode.METHOD_NOT_ALLOWED,
  406: 'NOT_ACCEPTABLE',
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  429: ErrorCode.TOO_MANY_REQUESTS,
};

export function envelopeOf(request: FastifyRequest, status: number, code: string, message: string, details?: ErrorEnvelope['details']): ErrorEnvelope {
  return {
    status,
    result: 'FAIL',
    code,
    message,
    path: request.url.split('?')[0] ?? request.url,
    requestId: String(request.id),
    ...(details ? { details } : {}),
  };
}

function validationDetails(error: FastifyError): ErrorEnvelope['details'] {
  return (error.validation ?? []).map((issue) => {
    const missing = (issue.params as { missingProperty?: string } | undefined)?.missingProperty;
    const path = issue.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const field = [error.validationContext === 'body' ? '' : error.validationContext, path, missing]
      .filter((part) => part !== undefined && part !== '')
      .join('.');
    return { field: field || String(error.validationContext ?? 'request'), message: issue.message ?? 'is invalid' };
  });
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AppError) {
      if (error.headers) void reply.headers(error.headers);
      if (error.status >= 500) request.log.warn({ err: error }, 'request failed: %s', error.code);
      return reply.code(error.status).send(envelopeOf(request, error.status, error.code, error.message, error.details));
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      const details = validationDetails(fastifyError);
      const first = details?.[0];
      const message = first ? `${first.field} ${first.message}` : 'request is invalid';
      return reply.code(400).send(envelopeOf(request, 400, ErrorCode.VALIDATION_FAILED, message, details));
    }
    const known = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
    if (known) {
      return reply.code(known.status).send(envelopeOf(request, known.status, known.code, known.message ?? fastifyError.message));
    }
    const status = fastifyError.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send(envelopeOf(request, status, STATUS_CODES[status] ?? 'BAD_REQUEST', fastifyError.message));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send(envelopeOf(request, 500, ErrorCode.INTERNAL_ERROR, 'internal error'));
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(envelopeOf(request, 404, ErrorCode.ROUTE_NOT_FOUND, `route ${request.method} ${request.url.split('?')[0]} not found`)),
  );
}
