import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Post } from '../dailyfeed-shared/src/contracts/api.ts';
import { Post as PostSchema } from '../dailyfeed-shared/src/contracts/api.ts';
import { responses, success } from '../dailyfeed-shared/src/contracts/envelope.ts';
import { Page, type Page as PageOf } from '../dailyfeed-shared/src/contracts/pagination.ts';
import { pageJson, postJson } from '../src/routes/page-json.ts';

const post = (id: string, over: Partial<Post> = {}): Post => ({
  id,
  title: 'a "quoted" title\\ with \u2028 and 한국어 😀',
  content: '<script>alert(1)</script>\n\ttabs',
  author: { id: '7', handle: 'h', displayName: 'D "x"', avatarUrl: null, verified: true },
  imageIds: ['11'],
  imageUrls: ['/api/images/view/11?variant=medium'],
  viewCount: 3,
  likeCount: 2,
  commentCount: 1,
  liked: false,
  createdAt: '2026-11-28T10:00:00.000Z',
  updatedAt: '2026-11-28T10:00:01.000Z',
  ...over,
});

describe('page JSON written once per post', () => {
  it('is byte for byte what the route schema serialiser writes', async () => {
    const pages: PageOf<Post>[] = [
      { content: [post('1'), post('2', { title: null, liked: true, imageIds: [], imageUrls: [] })], size: 2, hasNext: true, nextCursor: 'eyJ0IjoxfQ' },
      { content: [], size: 0, hasNext: false, nextCursor: null },
    ];
    const app = Fastify({ logger: false });
    app.get('/p/:i', { schema: { response: responses(200, Page(PostSchema)) } }, async (request) => success(200, pages[Number((request.params as { i: string }).i)]));
    for (const [i, page] of pages.entries()) {
      const response = await app.inject({ method: 'GET', url: `/p/${i}` });
      expect(pageJson(200, page).equals(response.rawPayload)).toBe(true);
      expect(JSON.parse(pageJson(200, page).toString('utf8'))).toEqual(success(200, page));
    }
    await app.close();
  });

  it('serialises one Post object once and a changed object anew', () => {
    const shared = post('5');
    const first = postJson(shared);
    expect(postJson(shared)).toBe(first);
    const liked = { ...shared, liked: true };
    expect(JSON.parse(postJson(liked).toString('utf8')).liked).toBe(true);
    expect(JSON.parse(postJson(shared).toString('utf8')).liked).toBe(false);
  });
});
