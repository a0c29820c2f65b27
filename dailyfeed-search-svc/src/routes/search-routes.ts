/** api.md §6: HTTP only; the use cases live in search/search-service.ts. */
import { Type } from 'typebox';
import type { ServiceApp } from '../../dailyfeed-shared/src/http/app-factory.ts';
import { Comment, Highlight, Post, Summary } from '../../dailyfeed-shared/src/contracts/api.ts';
import { responses, success } from '../../dailyfeed-shared/src/contracts/envelope.ts';
import { Page, PageQuery } from '../../dailyfeed-shared/src/contracts/pagination.ts';
import { getCallerOrThrow } from '../../dailyfeed-shared/src/clients/auth-plugin.ts';
import type { SearchService } from '../search/search-service.ts';

// `keyword` is checked by the service (empty or blank -> 400 VALIDATION_FAILED with details),
// so a missing keyword and `keyword=` answer the same way.
const SearchQuery = Type.Object({
  ...PageQuery.properties,
  keyword: Type.Optional(Type.String({ maxLength: 200, description: 'words to find; Korean and English; partial words match' })),
});
const SearchPost = Type.Object({ ...Post.properties, highlight: Highlight });
const SearchComment = Type.Object({ ...Comment.properties, highlight: Highlight });
const security = [{ bearerAuth: [] }];
const tags = ['search'];

export function registerSearchRoutes(app: ServiceApp, search: SearchService): void {
  const auth = { preHandler: app.authenticate };

  app.get('/api/search/posts', {
    ...auth,
    schema: { tags, security, summary: 'Posts whose title or content match, most relevant first', querystring: SearchQuery, response: responses(200, Page(SearchPost)) },
  }, async (request) => success(200, await search.searchPosts(request.query.keyword, request.query, getCallerOrThrow(request).member.id)));

  app.get('/api/search/comments', {
    ...auth,
    schema: { tags, security, summary: 'Comments whose content match, most relevant first', querystring: SearchQuery, response: responses(200, Page(SearchComment)) },
  }, async (request) => success(200, await search.searchComments(request.query.keyword, request.query, getCallerOrThrow(request).member.id)));

  app.get('/api/search/members', {
    ...auth,
    schema: { tags, security, summary: 'Members by handle or display-name prefix (deactivated excluded)', querystring: SearchQuery, response: responses(200, Page(Summary)) },
  }, async (request) => success(200, await search.searchMembers(request.query.keyword, request.query)));
}
