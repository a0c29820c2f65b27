/** api.md §3 post routes (HTTP only). */
import { Type } from 'typebox';
import type { ServiceApp } from '../../dailyfeed-shared/src/http/app-factory.ts';
import { Id, Post } from '../../dailyfeed-shared/src/contracts/api.ts';
import { noContentResponses, responses, success } from '../../dailyfeed-shared/src/contracts/envelope.ts';
import { getCallerOrThrow } from '../../dailyfeed-shared/src/clients/auth-plugin.ts';
import type { PostService } from '../posts/post-service.ts';

const PostParams = Type.Object({ postId: Id });
const Title = Type.Union([Type.String({ maxLength: 200 }), Type.Null()]);
const Content = Type.String({ minLength: 1, maxLength: 5000, pattern: '\\S' });
const ImageIds = Type.Array(Id, { maxItems: 10 });
const LikeResult = Type.Object({ postId: Id, likeCount: Type.Integer(), liked: Type.Boolean() });

export function registerPostRoutes(app: ServiceApp, posts: PostService): void {
  const auth = { preHandler: app.authenticate };
  const common = { tags: ['posts'], security: [{ bearerAuth: [] }] };

  app.post(
    '/api/posts',
    { ...auth, schema: { ...common, body: Type.Object({ content: Content, title: Type.Optional(Title), imageIds: Type.Optional(ImageIds) }), response: responses(201, Post) } },
    async (request, reply) => {
      const post = await posts.create(getCallerOrThrow(request).member, request.body);
      reply.code(201);
      return success(201, post);
    },
  );

  app.put(
    '/api/posts/:postId',
    {
      ...auth,
      schema: {
        ...common,
        params: PostParams,
        body: Type.Object({ content: Type.Optional(Content), title: Type.Optional(Title), imageIds: Type.Optional(ImageIds) }),
        response: responses(200, Post),
      },
    },
    async (request) => success(200, await posts.update(getCallerOrThrow(request).member, request.params.postId, request.body)),
  );

  app.delete('/api/posts/:postId', { ...auth, schema: { ...common, params: PostParams, response: noContentResponses() } }, async (request, reply) => {
    await posts.delete(getCallerOrThrow(request).member, request.params.postId);
    return reply.code(204).send(null);
  });

  app.post('/api/posts/:postId/like', { ...auth, schema: { ...common, params: PostParams, response: responses(201, LikeResult) } }, async (request, reply) => {
    const result = await posts.like(getCallerOrThrow(request).member, request.params.postId);
    reply.code(201);
    return success(201, result);
  });

  app.delete('/api/posts/:postId/like', { ...auth, schema: { ...common, params: PostParams, response: noContentResponses() } }, async (request, reply) => {
    await posts.unlike(getCallerOrThrow(request).member, request.params.postId);
    return reply.code(204).send(null);
  });
}
