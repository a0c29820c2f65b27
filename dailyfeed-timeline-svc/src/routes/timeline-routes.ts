/** api.md §4: HTTP only; the use cases live in feed/, ranking/ and reads/. */
import { Type } from 'typebox';
import type { ServiceApp } from '../../dailyfeed-shared/src/http/app-factory.ts';
import { Comment, IdParams, Post, PostStatistics } from '../../dailyfeed-shared/src/contracts/api.ts';
import { responses, success } from '../../dailyfeed-shared/src/contracts/envelope.ts';
import { decodeCursorOrThrow, OffsetCursor, Page, PageQuery, pageSize } from '../../dailyfeed-shared/src/contracts/pagination.ts';
import { getCallerOrThrow } from '../../dailyfeed-shared/src/clients/index.ts';
import { decodePosition } from '../feed/entries.ts';
import type { FeedService } from '../feed/feed-service.ts';
import { parseWindow } from '../ranking/formula.ts';
import type { RankingService } from '../ranking/ranking-service.ts';
import type { ReadService } from '../reads/read-service.ts';
import { sendJsonBytes, sendPage } from './page-json.ts';

export interface TimelineRouteDeps {
  feed: FeedService;
  rankings: RankingService;
  reads: ReadService;
  naiveFeedEnabled: boolean;
}

const Window = Type.Optional(Type.Union([Type.Literal('24h'), Type.Literal('7d'), Type.Literal('30d')], { default: '24h' }));
const FeedQuery = Type.Object({
  ...PageQuery.properties,
  impl: Type.Optional(Type.Union([Type.Literal('cached'), Type.Literal('naive'), Type.Literal('built')], {
    description: 'benchmark only (TIMELINE_NAIVE_FEED_ENABLED): naive = the original pull query; built = the page memo skipped',
  })),
});
const RankingQuery = Type.Object({ ...PageQuery.properties, window: Window });
const security = [{ bearerAuth: [] }];
const tags = ['timeline'];

export function registerTimelineRoutes(app: ServiceApp, deps: TimelineRouteDeps): void {
  const auth = { preHandler: app.authenticate };
  const me = (request: Parameters<typeof getCallerOrThrow>[0]) => getCallerOrThrow(request).member.id;

  app.get('/api/timeline/posts/followings', {
    ...auth,
    schema: { tags, security, summary: 'Follow feed, newest first', querystring: FeedQuery, response: responses(200, Page(Post)) },
  }, async (request, reply) => {
    const size = pageSize(request.query.size);
    const cursor = decodePosition(request.query.cursor);
    if (deps.naiveFeedEnabled && request.query.impl === 'naive') return success(200, await deps.feed.naivePage(me(request), cursor, size));
    if (deps.naiveFeedEnabled && request.query.impl === 'built') return sendPage(reply, await deps.feed.page(me(request), cursor, size));
    return sendJsonBytes(reply, await deps.feed.renderedPage(me(request), cursor, size));
  });

  for (const [path, kind, summary] of [
    ['/api/timeline/posts/most-popular', 'pop', 'Most popular posts of the window (time-decayed likes, comments, views)'],
    ['/api/timeline/posts/most-commented', 'cmt', 'Most commented posts of the window (replies included)'],
  ] as const) {
    app.get(path, { ...auth, schema: { tags, security, summary, querystring: RankingQuery, response: responses(200, Page(Post)) } }, async (request, reply) => {
      const size = pageSize(request.query.size);
      const offset = request.query.cursor ? decodeCursorOrThrow(request.query.cursor, OffsetCursor).o : (request.query.page ?? 0) * size;
      const page = await deps.rankings.page(kind, parseWindow(request.query.window), Math.min(offset, 100_000), size, me(request));
      return sendPage(reply, page);
    });
  }

  app.get('/api/timeline/posts', {
    ...auth,
    schema: { tags, security, summary: 'My posts, newest first', querystring: PageQuery, response: responses(200, Page(Post)) },
  }, async (request) => success(200, await deps.reads.postsOfAuthor(me(request), decodePosition(request.query.cursor), pageSize(request.query.size), me(request))));

  app.get('/api/timeline/posts/authors/:memberId', {
    ...auth,
    schema: { tags, security, summary: "A member's posts, newest first", params: IdParams('memberId'), querystring: PageQuery, response: responses(200, Page(Post)) },
  }, async (request) => {
    const { memberId } = request.params as { memberId: string };
    return success(200, await deps.reads.postsOfAuthor(memberId, decodePosition(request.query.cursor), pageSize(request.query.size), me(request)));
  });

  app.get('/api/timeline/posts/:postId', {
    ...auth,
    schema: { tags, security, summary: 'Post detail (counts a view for non-authors)', params: IdParams('postId'), response: responses(200, Post) },
  }, async (request) => success(200, await deps.reads.getPostOrThrow((request.params as { postId: string }).postId, me(request))));

  app.get('/api/timeline/posts/:postId/comments', {
    ...auth,
    schema: { tags, security, summary: 'Top-level comments, oldest first', params: IdParams('postId'), querystring: PageQuery, response: responses(200, Page(Comment)) },
  }, async (request) => {
    const { postId } = request.params as { postId: string };
    return success(200, await deps.reads.commentsOfPostOrThrow(postId, decodePosition(request.query.cursor), pageSize(request.query.size), me(request)));
  });

  app.get('/api/timeline/comments', {
    ...auth,
    schema: { tags, security, summary: 'My comments, newest first', querystring: PageQuery, response: responses(200, Page(Comment)) },
  }, async (request) => success(200, await deps.reads.commentsOfAuthor(me(request), decodePosition(request.query.cursor), pageSize(request.query.size), me(request))));

  app.get('/api/timeline/comments/:commentId', {
    ...auth,
    schema: { tags, security, summary: 'One comment', params: IdParams('commentId'), response: responses(200, Comment) },
  }, async (request) => success(200, await deps.reads.getCommentOrThrow((request.params as { commentId: string }).commentId, me(request))));

  app.get('/api/timeline/comments/:commentId/replies', {
    ...auth,
    schema: { tags, security, summary: 'Direct replies, oldest first', params: IdParams('commentId'), querystring: PageQuery, response: responses(200, Page(Comment)) },
  }, async (request) => {
    const { commentId } = request.params as { commentId: string };
    return success(200, await deps.reads.repliesOrThrow(commentId, decodePosition(request.query.cursor), pageSize(request.query.size), me(request)));
  });

  app.get('/api/timeline/statistics/posts/:postId', {
    ...auth,
    schema: { tags, security, summary: 'View, like and comment counts', params: IdParams('postId'), response: responses(200, PostStatistics) },
  }, async (request) => success(200, await deps.reads.statisticsOrThrow((request.params as { postId: string }).postId)));
}
