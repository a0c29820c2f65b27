/**
 * The JSON of a page of Posts, for the hottest routes (follow feed, rankings). Each Post is
 * serialised once by fast-json-stringify from the api contract's own `Post` schema and kept
 * with the object: the hydrator hands out the same Post object for as long as its row and
 * author are unchanged, so a post read by thousands of pages is escaped and encoded once, not
 * once per page. The envelope around them comes from the route's response schema too (an
 * empty `content` array, spliced), so the bytes are exactly what the schema serialiser writes.
 */
import type { FastifyReply } from 'fastify';
import fastJson from 'fast-json-stringify';
import { Post } from '../../dailyfeed-shared/src/contracts/api.ts';
import { SuccessEnvelope, success } from '../../dailyfeed-shared/src/contracts/envelope.ts';
import { Page } from '../../dailyfeed-shared/src/contracts/pagination.ts';

const stringifyPost = fastJson(Post);
const stringifyPage = fastJson(SuccessEnvelope(Page(Post)));
const EMPTY_CONTENT = '"content":[]';
const cache = new WeakMap<Post, string>();

export function postJson(post: Post): string {
  let json = cache.get(post);
  if (json === undefined) {
    json = stringifyPost(post);
    cache.set(post, json);
  }
  return json;
}

/** `success(status, page)` as the route's serialiser would write it. */
export function pageJson(status: number, page: Page<Post>): string {
  const shell = stringifyPage(success(status, { ...page, content: [] }));
  const at = shell.indexOf(EMPTY_CONTENT); // the first array of the shell: status and result hold no user text
  if (at < 0) throw new Error('page envelope without a content array');
  // One join: one flat string for the socket write, not a rope of concatenations.
  const parts: string[] = [`${shell.slice(0, at)}"content":[`];
  for (let i = 0; i < page.content.length; i++) parts.push(i === 0 ? postJson(page.content[i] as Post) : `,${postJson(page.content[i] as Post)}`);
  parts.push(`]${shell.slice(at + EMPTY_CONTENT.length)}`);
  return parts.join('');
}

/**
 * Sends a 200 page as ready JSON: Fastify sends a string with a JSON content type as is, so the
 * route's schema serialiser (which would encode every post again) is skipped; the schema still
 * documents the route and page-json.ts writes what it would.
 */
export function sendPage(reply: unknown, page: Page<Post>): FastifyReply {
  return (reply as FastifyReply).type('application/json; charset=utf-8').send(pageJson(200, page));
}
