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
const COMMA = Buffer.from(',');
const cache = new WeakMap<Post, Buffer>();

/** The Post's JSON as UTF-8 bytes, encoded once per Post object. */
export function postJson(post: Post): Buffer {
  let json = cache.get(post);
  if (json === undefined) {
    json = Buffer.from(stringifyPost(post), 'utf8');
    cache.set(post, json);
  }
  return json;
}

/**
 * `success(status, page)` as the route's serialiser would write it, as bytes: a page of cached
 * posts is one copy of their bytes (a string page would be scanned for its byte length, then
 * encoded again on every socket write; Hangul makes that a two-byte string).
 */
export function pageJson(status: number, page: Page<Post>): Buffer {
  const shell = stringifyPage(success(status, { ...page, content: [] }));
  const at = shell.indexOf(EMPTY_CONTENT); // the first array of the shell: status and result hold no user text
  if (at < 0) throw new Error('page envelope without a content array');
  const parts: Buffer[] = [Buffer.from(`${shell.slice(0, at)}"content":[`, 'utf8')];
  for (let i = 0; i < page.content.length; i++) {
    if (i > 0) parts.push(COMMA);
    parts.push(postJson(page.content[i] as Post));
  }
  parts.push(Buffer.from(`]${shell.slice(at + EMPTY_CONTENT.length)}`, 'utf8'));
  return Buffer.concat(parts);
}

/**
 * Sends a 200 page as ready JSON bytes: Fastify sends a Buffer as is, so the route's schema
 * serialiser (which would encode every post again) is skipped; the schema still documents the
 * route and page-json.ts writes what it would.
 */
export function sendPage(reply: unknown, page: Page<Post>): FastifyReply {
  return sendJsonBytes(reply, pageJson(200, page));
}

/** Sends JSON already rendered (by pageJson). */
export function sendJsonBytes(reply: unknown, json: Buffer): FastifyReply {
  return (reply as FastifyReply).type('application/json; charset=utf-8').send(json);
}
