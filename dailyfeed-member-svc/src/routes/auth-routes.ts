/** /api/authentication/*, /api/token/refresh, /.well-known/jwks.json */
import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { noContentResponses, responses, success } from '../../dailyfeed-shared/src/contracts/envelope.ts';
import { ErrorCode } from '../../dailyfeed-shared/src/contracts/error-codes.ts';
import { unauthorized } from '../../dailyfeed-shared/src/http/errors.ts';
import type { ServiceApp } from '../../dailyfeed-shared/src/http/app-factory.ts';
import type { MemberServices } from '../services.ts';
import { counted } from '../support/metrics.ts';
import { checkMemberFields, upperOrNull } from './field-checks.ts';
import { Created, Empty, LoginBody, LoginResponse, RefreshResponse, SignupBody } from './schemas.ts';

export const REFRESH_COOKIE = 'refresh_token';
const REFRESH_COOKIE_PATH = '/api/token';
const BEARER = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i;

/**
 * The client address for per-IP login throttling. The shared app trusts every proxy
 * (`trustProxy: true`), which makes `request.ip` the LEFTMOST X-Forwarded-For entry, one the
 * client writes itself. Here the address is taken `hops` entries from the right: the one our
 * own gateway (or the Istio ingress) appended, which a client cannot forge.
 */
export function clientIp(request: FastifyRequest, hops: number): string {
  const header = request.headers['x-forwarded-for'];
  const chain = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((part) => part.trim()).filter(Boolean);
  if (hops > 0 && chain.length > 0) return chain[Math.max(0, chain.length - hops)]!;
  return request.socket.remoteAddress ?? request.ip;
}

export function bearerOrThrow(request: FastifyRequest): string {
  const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
  if (!token) throw unauthorized(ErrorCode.AUTHENTICATION_REQUIRED, 'a bearer access token is required');
  return token;
}

export function authRoutes(app: ServiceApp, s: MemberServices): void {
  const secureCookie = !s.config.DAILYFEED_LOCAL_MODE;
  const setRefreshCookie = (reply: FastifyReply, token: string, expiresAtMs: number) =>
    reply.setCookie(REFRESH_COOKIE, token, {
      httpOnly: true,
      secure: secureCookie,
      sameSite: 'strict',
      path: REFRESH_COOKIE_PATH,
      maxAge: Math.max(0, Math.floor((expiresAtMs - s.clock.now()) / 1000)),
    });
  const clearRefreshCookie = (reply: FastifyReply) =>
    reply.clearCookie(REFRESH_COOKIE, { httpOnly: true, secure: secureCookie, sameSite: 'strict', path: REFRESH_COOKIE_PATH });

  app.post('/api/authentication/signup', {
    schema: { tags: ['authentication'], body: SignupBody, response: responses(201, Created) },
  }, async (request, reply) => {
    const body = request.body;
    checkMemberFields(body, s.clock.now());
    const id = await s.accounts.signup({
      ...body,
      displayName: body.displayName ?? body.memberName,
      countryCode: upperOrNull(body.countryCode),
    });
    return reply.code(201).send(success(201, { id }));
  });

  app.post('/api/authentication/login', {
    schema: { tags: ['authentication'], body: LoginBody, response: responses(200, LoginResponse) },
  }, async (request, reply) => {
    const { email, password, includeRefreshToken } = request.body;
    const session = await counted(s.metrics.logins, () => s.accounts.login(email, password, clientIp(request, s.config.TRUSTED_PROXY_HOPS)));
    setRefreshCookie(reply, session.refreshToken, session.refreshExpiresAtMs);
    void reply.header('authorization', `Bearer ${session.accessToken}`);
    return success(200, {
      accessToken: session.accessToken,
      expiresIn: session.expiresIn,
      member: session.member,
      ...(includeRefreshToken ? { refreshToken: session.refreshToken } : {}),
    });
  });

  app.post('/api/token/refresh', {
    schema: {
      tags: ['authentication'],
      description: `refresh token from the \`${REFRESH_COOKIE}\` cookie, or a JSON body \`{"refreshToken": "..."}\``,
      response: responses(200, RefreshResponse),
    },
  }, async (request, reply) => {
    const fromBody = (request.body as { refreshToken?: unknown } | undefined)?.refreshToken;
    const token = typeof fromBody === 'string' && fromBody.length > 0 && fromBody.length <= 200 ? fromBody : request.cookies[REFRESH_COOKIE];
    if (!token) throw unauthorized(ErrorCode.INVALID_REFRESH_TOKEN, 'a refresh token is required (cookie or body)');
    const session = await counted(s.metrics.refreshes, () => s.accounts.refresh(token));
    setRefreshCookie(reply, session.refreshToken, session.refreshExpiresAtMs);
    void reply.header('authorization', `Bearer ${session.accessToken}`);
    return success(200, {
      accessToken: session.accessToken,
      expiresIn: session.expiresIn,
      ...(typeof fromBody === 'string' ? { refreshToken: session.refreshToken } : {}),
    });
  });

  app.post('/api/authentication/logout', {
    schema: { tags: ['authentication'], security: [{ bearerAuth: [] }], response: responses(200, Empty) },
  }, async (request, reply) => {
    await s.accounts.logout(bearerOrThrow(request));
    clearRefreshCookie(reply);
    return success(200, {});
  });

  app.post('/api/authentication/logout-all', {
    schema: { tags: ['authentication'], security: [{ bearerAuth: [] }], response: responses(200, Empty) },
  }, async (request, reply) => {
    await s.accounts.logoutAll(bearerOrThrow(request));
    clearRefreshCookie(reply);
    return success(200, {});
  });

  app.delete('/api/authentication/deactivate', {
    schema: { tags: ['authentication'], security: [{ bearerAuth: [] }], response: noContentResponses() },
  }, async (request, reply) => {
    await s.accounts.deactivate(bearerOrThrow(request));
    clearRefreshCookie(reply);
    return reply.code(204).send(null);
  });

  app.get('/.well-known/jwks.json', {
    schema: {
      tags: ['authentication'],
      response: { 200: Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) }) },
    },
  }, async (_request, reply) => {
    void reply.header('cache-control', 'public, max-age=300');
    return s.keys.jwks();
  });
}
