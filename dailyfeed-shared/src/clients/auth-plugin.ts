/**
 * `dailyfeed-auth`: who is calling, for every service but member-svc.
 *
 *   await app.register(authPlugin, { resolver });
 *   app.get('/api/timeline/feed', { preHandler: app.authenticate }, async (request) => {
 *     const { member } = getCallerOrThrow(request);
 *   });
 *
 * - `app.authenticate`: missing or malformed `Authorization: Bearer <token>` -> 401
 *   AUTHENTICATION_REQUIRED; a token member-svc rejects -> 401 with member-svc's code
 *   (INVALID_TOKEN, TOKEN_EXPIRED, TOKEN_REVOKED, MEMBER_NOT_FOUND); every 401 carries
 *   `X-Relogin-Required: true`. member-svc unreachable -> 503 MEMBER_SERVICE_UNAVAILABLE.
 *   A token signed with a key being rotated out -> `X-Token-Refresh-Needed: true` on the response.
 * - `app.optionalAuthenticate`: no Authorization header -> anonymous (`request.caller` null);
 *   a token that is sent is checked exactly as above (a bad token is a 401, not anonymous).
 *
 * The resolver's lifecycle (start/close) belongs to the service, which created it.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Summary } from '../contracts/api.ts';
import { ErrorCode } from '../contracts/error-codes.ts';
import { AppError, unauthorized } from '../http/errors.ts';
import type { CallerResolver } from './member-auth.ts';

export interface Caller {
  member: Summary;
  tokenId: string;
}

export type AuthPreHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by app.authenticate / app.optionalAuthenticate; null when anonymous. */
    caller: Caller | null;
  }
  interface FastifyInstance {
    authenticate: AuthPreHandler;
    optionalAuthenticate: AuthPreHandler;
  }
}

export interface AuthPluginOptions {
  resolver: CallerResolver;
}

const BEARER = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i;
const RELOGIN = { 'x-relogin-required': 'true' } as const;

/** The authenticated caller; 401 when the route ran without one (a missing preHandler). */
export function getCallerOrThrow(request: FastifyRequest): Caller {
  if (!request.caller) throw unauthorized(ErrorCode.AUTHENTICATION_REQUIRED, 'authentication is required');
  return request.caller;
}

async function registerAuth(app: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  const { resolver } = options;
  if (!resolver || typeof resolver.resolve !== 'function') throw new Error('dailyfeed-auth: option `resolver` is required');

  app.decorateRequest('caller', null);

  async function identify(request: FastifyRequest, reply: FastifyReply, header: string): Promise<void> {
    const match = BEARER.exec(header);
    if (!match?.[1]) {
      void reply.headers(RELOGIN);
      throw unauthorized(ErrorCode.AUTHENTICATION_REQUIRED, 'a bearer access token is required');
    }
    let resolved;
    try {
      resolved = await resolver.resolve(match[1]);
    } catch (error) {
      if (error instanceof AppError && error.status === 401) void reply.headers(RELOGIN);
      throw error;
    }
    request.caller = { member: resolved.member, tokenId: resolved.tokenId };
    if (resolved.refreshNeeded) void reply.header('x-token-refresh-needed', 'true');
  }

  const authenticate: AuthPreHandler = async (request, reply) => {
    const header = request.headers.authorization;
    if (!header) {
      void reply.headers(RELOGIN);
      throw unauthorized(ErrorCode.AUTHENTICATION_REQUIRED, 'a bearer access token is required');
    }
    await identify(request, reply, header);
  };

  const optionalAuthenticate: AuthPreHandler = async (request, reply) => {
    const header = request.headers.authorization;
    if (!header) {
      request.caller = null;
      return;
    }
    await identify(request, reply, header);
  };

  app.decorate('authenticate', authenticate);
  app.decorate('optionalAuthenticate', optionalAuthenticate);
}

export const authPlugin = fp(registerAuth, { name: 'dailyfeed-auth', fastify: '5.x' });
export default authPlugin;
