/** api.md §7: HTTP only; the lists live in activities/activity-queries.ts. */
import { Type } from 'typebox';
import type { ServiceApp } from '../../dailyfeed-shared/src/http/app-factory.ts';
import { Activity } from '../../dailyfeed-shared/src/contracts/api.ts';
import { Page, PageQuery } from '../../dailyfeed-shared/src/contracts/pagination.ts';
import { responses, success } from '../../dailyfeed-shared/src/contracts/envelope.ts';
import { getCallerOrThrow } from '../../dailyfeed-shared/src/clients/index.ts';
import type { Db } from '../db/pool.ts';
import type { FollowingsSource } from '../members/followings-source.ts';
import { followingsActivities, myActivities } from '../activities/activity-queries.ts';

const ListQuery = Type.Object({ size: PageQuery.properties.size, cursor: PageQuery.properties.cursor });

export function registerActivityRoutes(app: ServiceApp, deps: { db: Db; followings: FollowingsSource }): void {
  app.get(
    '/api/member-activities/me',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['activities'],
        summary: 'My activities, newest first',
        security: [{ bearerAuth: [] }],
        querystring: ListQuery,
        response: responses(200, Page(Activity)),
      },
    },
    async (request) => {
      const { member } = getCallerOrThrow(request);
      return success(200, await myActivities(deps.db, member.id, request.query));
    },
  );

  app.get(
    '/api/member-activities/followings',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['activities'],
        summary: 'Recent activities of the members I follow (READ events left out), newest first',
        security: [{ bearerAuth: [] }],
        querystring: ListQuery,
        response: responses(200, Page(Activity)),
      },
    },
    async (request) => {
      const { member } = getCallerOrThrow(request);
      return success(200, await followingsActivities(deps.db, deps.followings, member.id, request.query));
    },
  );
}
