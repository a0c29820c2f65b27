/** /api/members/* : profiles and follows (every route needs a bearer token). */
import { Type } from 'typebox';
import { Id, IdParams, Profile, Summary } from '../../dailyfeed-shared/src/contracts/api.ts';
import { noContentResponses, responses, success } from '../../dailyfeed-shared/src/contracts/envelope.ts';
import { Page, PageQuery, pageSize } from '../../dailyfeed-shared/src/contracts/pagination.ts';
import { getCallerOrThrow } from '../../dailyfeed-shared/src/clients/auth-plugin.ts';
import type { ServiceApp } from '../../dailyfeed-shared/src/http/app-factory.ts';
import type { MemberServices } from '../services.ts';
import { checkMemberFields, upperOrNull } from './field-checks.ts';
import { ChangeHandleBody, Handle, UpdateProfileBody } from './schemas.ts';

const secured = { security: [{ bearerAuth: [] }] };

export function memberRoutes(app: ServiceApp, s: MemberServices): void {
  const auth = { preHandler: app.authenticate };

  app.get('/api/members/me', { ...auth, schema: { tags: ['members'], ...secured, response: responses(200, Summary) } },
    async (request) => success(200, getCallerOrThrow(request).member));

  app.get('/api/members/profile', { ...auth, schema: { tags: ['members'], ...secured, response: responses(200, Profile) } },
    async (request) => {
      const { member } = getCallerOrThrow(request);
      return success(200, await s.profiles.profileById(member.id, member.id));
    });

  app.get('/api/members/profile/@:handle', {
    ...auth,
    schema: { tags: ['members'], ...secured, params: Type.Object({ handle: Handle }), response: responses(200, Profile) },
  }, async (request) => success(200, await s.profiles.profileByHandle(request.params.handle, getCallerOrThrow(request).member.id)));

  app.get('/api/members/:memberId/profile', {
    ...auth,
    schema: { tags: ['members'], ...secured, params: IdParams('memberId'), response: responses(200, Profile) },
  }, async (request) => success(200, await s.profiles.profileById(request.params.memberId as string, getCallerOrThrow(request).member.id)));

  app.get('/api/members/:memberId/summary', {
    ...auth,
    schema: { tags: ['members'], ...secured, params: IdParams('memberId'), response: responses(200, Summary) },
  }, async (request) => success(200, await s.profiles.summary(request.params.memberId as string)));

  app.put('/api/members/profile', {
    ...auth,
    schema: { tags: ['members'], ...secured, body: UpdateProfileBody, response: responses(200, Profile) },
  }, async (request) => {
    const body = request.body;
    checkMemberFields(body, s.clock.now());
    const changes = { ...body, countryCode: upperOrNull(body.countryCode) };
    if (changes.countryCode === undefined) delete changes.countryCode;
    return success(200, await s.profiles.update(getCallerOrThrow(request).member.id, changes));
  });

  app.put('/api/members/profile/handle', {
    ...auth,
    schema: { tags: ['members'], ...secured, body: ChangeHandleBody, response: responses(200, Profile) },
  }, async (request) => success(200, await s.profiles.changeHandle(getCallerOrThrow(request).member.id, request.body.newHandle)));

  // ---------- follows ----------
  app.post('/api/members/follow/:memberId', {
    ...auth,
    schema: { tags: ['follows'], ...secured, params: IdParams('memberId'), response: responses(201, Type.Object({ memberId: Id })) },
  }, async (request, reply) => {
    const memberId = request.params.memberId as string;
    await s.follows.follow(getCallerOrThrow(request).member.id, memberId);
    return reply.code(201).send(success(201, { memberId }));
  });

  app.delete('/api/members/follow/:memberId', {
    ...auth,
    schema: { tags: ['follows'], ...secured, params: IdParams('memberId'), response: noContentResponses() },
  }, async (request, reply) => {
    await s.follows.unfollow(getCallerOrThrow(request).member.id, request.params.memberId as string);
    return reply.code(204).send(null);
  });

  for (const direction of ['followers', 'followings'] as const) {
    app.get(`/api/members/:memberId/${direction}`, {
      ...auth,
      schema: { tags: ['follows'], ...secured, params: IdParams('memberId'), querystring: PageQuery, response: responses(200, Page(Summary)) },
    }, async (request) => {
      const { memberId } = request.params as { memberId: string };
      const query = request.query as PageQuery;
      return success(200, await s.follows.page(memberId, direction, pageSize(query.size), query.cursor));
    });
  }

  app.get('/api/members/follow/recommend/newbie', {
    ...auth,
    schema: { tags: ['follows'], ...secured, querystring: PageQuery, response: responses(200, Page(Summary)) },
  }, async (request) => success(200, await s.follows.newbies(getCallerOrThrow(request).member.id, pageSize(request.query.size), request.query.cursor)));
}
