/** api.md §3 comment routes (HTTP only). */
import { Type } from 'typebox';
import type { ServiceApp } from '../../dailyfeed-shared/src/http/app-factory.ts';
import { Comment, Id } from '../../dailyfeed-shared/src/contracts/api.ts';
import { noContentResponses, responses, success } from '../../dailyfeed-shared/src/contracts/envelope.ts';
import { getCallerOrThrow } from '../../dailyfeed-shared/src/clients/auth-plugin.ts';
import type { CommentService } from '../comments/comment-service.ts';

const CommentParams = Type.Object({ commentId: Id });
const Content = Type.String({ minLength: 1, maxLength: 1000, pattern: '\\S' });
const LikeResult = Type.Object({ commentId: Id, likeCount: Type.Integer(), liked: Type.Boolean() });

export function registerCommentRoutes(app: ServiceApp, comments: CommentService): void {
  const auth = { preHandler: app.authenticate };
  const common = { tags: ['comments'], security: [{ bearerAuth: [] }] };

  app.post(
    '/api/comments',
    { ...auth, schema: { ...common, body: Type.Object({ postId: Id, content: Content }), response: responses(201, Comment) } },
    async (request, reply) => {
      const comment = await comments.create(getCallerOrThrow(request).member, request.body.postId, request.body.content);
      reply.code(201);
      return success(201, comment);
    },
  );

  app.post(
    '/api/comments/replies',
    { ...auth, schema: { ...common, body: Type.Object({ postId: Id, parentId: Id, content: Content }), response: responses(201, Comment) } },
    async (request, reply) => {
      const { postId, parentId, content } = request.body;
      const comment = await comments.reply(getCallerOrThrow(request).member, postId, parentId, content);
      reply.code(201);
      return success(201, comment);
    },
  );

  app.put(
    '/api/comments/:commentId',
    { ...auth, schema: { ...common, params: CommentParams, body: Type.Object({ content: Content }), response: responses(200, Comment) } },
    async (request) => success(200, await comments.update(getCallerOrThrow(request).member, request.params.commentId, request.body.content)),
  );

  app.delete('/api/comments/:commentId', { ...auth, schema: { ...common, params: CommentParams, response: noContentResponses() } }, async (request, reply) => {
    await comments.delete(getCallerOrThrow(request).member, request.params.commentId);
    return reply.code(204).send(null);
  });

  app.post('/api/comments/:commentId/like', { ...auth, schema: { ...common, params: CommentParams, response: responses(201, LikeResult) } }, async (request, reply) => {
    const result = await comments.like(getCallerOrThrow(request).member, request.params.commentId);
    reply.code(201);
    return success(201, result);
  });

  app.delete('/api/comments/:commentId/like', { ...auth, schema: { ...common, params: CommentParams, response: noContentResponses() } }, async (request, reply) => {
    await comments.unlike(getCallerOrThrow(request).member, request.params.commentId);
    return reply.code(204).send(null);
  });
}
