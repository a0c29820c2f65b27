/** /internal/* : service-to-service only (never routed by the gateway). Contract: dailyfeed-shared/src/contracts/internal/member.ts */
import { IdParams } from '../../dailyfeed-shared/src/contracts/api.ts';
import { responses, success } from '../../dailyfeed-shared/src/contracts/envelope.ts';
import {
  FollowingIds,
  IdPage,
  IdPageQuery,
  MAX_ID_PAGE_SIZE,
  MAX_SUMMARY_IDS,
  ResolveResponse,
  SummariesRequest,
  SummariesResponse,
} from '../../dailyfeed-shared/src/contracts/internal/member.ts';
import type { ServiceApp } from '../../dailyfeed-shared/src/http/app-factory.ts';
import { allFollowingIds } from '../db/follows-repo.ts';
import type { MemberServices } from '../services.ts';
import { bearerOrThrow } from './auth-routes.ts';
import { counted } from '../support/metrics.ts';

const internal = { tags: ['internal'] };

export function internalRoutes(app: ServiceApp, s: MemberServices): void {
  // The hottest route of the system: no per-request access log (errors still log).
  app.get('/internal/auth/resolve', { logLevel: 'warn', schema: { ...internal, response: responses(200, ResolveResponse) } }, async (request, reply) => {
    const { member, tokenId, expiresAt, refreshNeeded } = await counted(s.metrics.resolves, () => s.accounts.resolve(bearerOrThrow(request)), (r) => (r.refreshNeeded ? 'refresh_needed' : 'ok'));
    if (refreshNeeded) void reply.header('x-token-refresh-needed', 'true');
    return success(200, { member, tokenId, expiresAt, refreshNeeded });
  });

  app.post('/internal/members/summaries', {
    schema: { ...internal, description: `at most ${MAX_SUMMARY_IDS} ids`, body: SummariesRequest, response: responses(200, SummariesResponse) },
  }, async (request) => success(200, await s.profiles.summaries(request.body.ids)));

  for (const direction of ['followers', 'followings'] as const) {
    app.get(`/internal/members/:memberId/${direction}`, {
      schema: { ...internal, params: IdParams('memberId'), querystring: IdPageQuery, response: responses(200, IdPage) },
    }, async (request) => {
      const { memberId } = request.params as { memberId: string };
      const query = request.query as IdPageQuery;
      const size = Math.min(Math.max(query.size ?? 100, 1), MAX_ID_PAGE_SIZE);
      return success(200, await s.follows.idPage(memberId, direction, size, query.cursor));
    });
  }

  app.get('/internal/members/:memberId/followings/ids', {
    schema: { ...internal, params: IdParams('memberId'), response: responses(200, FollowingIds) },
  }, async (request) => success(200, { ids: await allFollowingIds(s.pool, request.params.memberId as string, s.config.FOLLOW_LIMIT) }));
}
