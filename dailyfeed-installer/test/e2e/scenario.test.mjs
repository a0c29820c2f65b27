// The whole of dailyfeed as a user meets it, through the gateway only (api.md): three members
// sign up, follow each other, post with an image, comment, reply, like; the post reaches the
// followers' feeds, the rankings, search and the activity banner; logout, refresh rotation
// with re-use detection, logout-all and deactivation. Each step skips, with the reason
// printed, when a service it needs is not up; a step never passes without checking.
import { beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { call, countIds, createPost, del, expectStatus, follow, get, listAll, login, newMember, post, uploadImage } from './support/api.mjs';
import { hangulWord, latinWord, makePng } from './support/data.mjs';
import { cookieOf, pollUntil, runId, sleep } from './support/http.mjs';
import { probeAll, skipUnless } from './support/stack.mjs';

const RUN = runId();
const WORD = latinWord(RUN);
const HANGUL = hangulWord(RUN);
const FEED_DEADLINE_MS = 5000;
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DIGITS = /^\d+$/;

const s = {}; // state shared by the steps, in order
let stack;

/** Skips unless the services are up and the state keys from earlier steps exist. */
function need(ctx, services, ...keys) {
  skipUnless(ctx, stack.need(services));
  const missing = keys.filter((k) => s[k] === undefined);
  skipUnless(ctx, missing.length ? `an earlier step did not produce: ${missing.join(', ')}` : null);
}

const inFeed = async (who, postId, path = '/api/timeline/posts/followings?size=50') => {
  const res = await get(path, who.token);
  return res.status === 200 && res.body.data.content.some((p) => p.id === postId);
};

describe.sequential('e2e scenario through the gateway', () => {
  beforeAll(async () => {
    stack = await probeAll();
  });

  it('three members sign up and log in', async (ctx) => {
    need(ctx, ['member']);
    const [ada, bob, cyd] = [await newMember('ada'), await newMember('bob'), await newMember('cyd')];
    Object.assign(s, { ada, bob, cyd });
    for (const m of [ada, bob, cyd]) {
      expect(m.id).toMatch(DIGITS);
      expect(m.token).toBeTruthy();
      expect(m.loginResponse.headers.authorization).toBe(`Bearer ${m.token}`);
      expect(m.member).toMatchObject({ id: m.id, handle: m.handle });
      expect(m.refreshCookie, 'refresh_token cookie').toBeTruthy();
      expect(m.refreshCookie.attrs).toContain('httponly');
      expect(m.refreshCookie.attrs).toContain('samesite=strict');
      expect(m.refreshCookie.attrs).toContain('path=/api/token');
      const me = expectStatus(await get('/api/members/me', m.token), 200, 'me');
      expect(me.body).toMatchObject({ status: 200, result: 'SUCCESS', data: { id: m.id, handle: m.handle } });
    }
    const dupHandle = await call('POST', '/api/authentication/signup', {
      json: { email: `x${ada.email}`, password: 'Passw0rd!e2e', memberName: 'dup', handle: ada.handle.toUpperCase() },
    });
    expect(dupHandle.status).toBe(409);
    expect(dupHandle.body.code).toBe('HANDLE_ALREADY_EXISTS');
    const dupEmail = await call('POST', '/api/authentication/signup', {
      json: { email: ada.email, password: 'Passw0rd!e2e', memberName: 'dup', handle: `x${ada.handle}`.slice(0, 50) },
    });
    expect(dupEmail.status).toBe(409);
    expect(dupEmail.body.code).toBe('EMAIL_ALREADY_EXISTS');
    const wrong = await call('POST', '/api/authentication/login', { json: { email: ada.email, password: 'Wrong0pass!' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ status: 401, result: 'FAIL', code: 'INVALID_CREDENTIALS' });
    expect(wrong.body.requestId).toBeTruthy();
  }, 60_000);

  it('they follow each other', async (ctx) => {
    need(ctx, ['member'], 'ada', 'bob', 'cyd');
    const { ada, bob, cyd } = s;
    for (const [a, b] of [[ada, bob], [ada, cyd], [bob, ada], [bob, cyd], [cyd, ada], [cyd, bob]]) await follow(a, b);
    const again = await post(`/api/members/follow/${bob.id}`, ada.token);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('FOLLOW_ALREADY_EXISTS');
    const self = await post(`/api/members/follow/${ada.id}`, ada.token);
    expect(self.status).toBe(400);
    expect(self.body.code).toBe('CANNOT_FOLLOW_SELF');
    const profile = expectStatus(await get(`/api/members/${bob.id}/profile`, ada.token), 200, 'profile').body.data;
    expect(profile).toMatchObject({ id: bob.id, following: true, followersCount: 2, followingsCount: 2 });
    const followers = await listAll(`/api/members/${ada.id}/followers`, ada.token);
    expect(followers.map((m) => m.id).sort()).toEqual([bob.id, cyd.id].sort());
    s.followed = true;
  }, 30_000);

  it('ada uploads a PNG (generated with sharp): metadata stripped, variants served', async (ctx) => {
    need(ctx, ['member', 'image'], 'ada');
    const png = await makePng(120, 80);
    const res = expectStatus(await uploadImage(s.ada, png), 201, 'upload');
    const img = res.body.data;
    expect(img.id).toMatch(DIGITS);
    expect(img).toMatchObject({ width: 120, height: 80 });
    expect(img.contentType).toMatch(/^image\//);
    s.image = img;
    for (const variant of ['thumbnail', 'medium', 'large']) {
      expect(img.urls[variant], variant).toBeTruthy();
      const view = await call('GET', `/api/images/view/${img.id}?variant=${variant}`);
      expect(view.status, variant).toBe(200);
      expect(view.headers['content-type']).toMatch(/^image\//);
      expect(view.headers.etag).toBeTruthy();
      expect(view.headers['cache-control']).toMatch(/max-age=\d{5,}/);
      const meta = await sharp(view.buffer).metadata();
      expect(meta.exif, `${variant} still carries EXIF`).toBeUndefined();
      expect(view.buffer.includes('dailyfeed-e2e-secret')).toBe(false);
    }
    const notImage = await uploadImage(s.ada, Buffer.from('this is not an image at all, just text'.repeat(10)));
    expect(notImage.status).toBe(415);
    expect(notImage.body.code).toBe('UNSUPPORTED_IMAGE_TYPE');
  }, 30_000);

  it('ada posts with the image; cyd posts too', async (ctx) => {
    need(ctx, ['member', 'content'], 'ada', 'cyd');
    const imageIds = s.image ? [s.image.id] : [];
    if (!s.image) console.log('[note] posting without an image: the upload step did not run');
    const p = await createPost(s.ada, `hello ${WORD} 오늘 ${HANGUL} from the e2e run`, { title: `e2e ${WORD}`, imageIds });
    expect(p.id).toMatch(DIGITS);
    expect(p).toMatchObject({ title: `e2e ${WORD}`, author: { id: s.ada.id, handle: s.ada.handle }, imageIds, likeCount: 0, commentCount: 0 });
    expect(p.imageUrls).toHaveLength(imageIds.length);
    expect(p.createdAt).toMatch(ISO_MS);
    s.post = p;
    s.postCreatedAt = performance.now();
    s.cydPost = await createPost(s.cyd, `cyd writes ${WORD}c before leaving`);
    s.doomed = await createPost(s.ada, `doomed ${WORD}d will be deleted`);
  }, 30_000);

  it('comment, reply, reply to the reply, depth limit, likes', async (ctx) => {
    need(ctx, ['member', 'content'], 'post');
    const { ada, bob, cyd, post: p } = s;
    const c0 = expectStatus(await post('/api/comments', bob.token, { postId: p.id, content: `nice ${WORD}k` }), 201, 'comment').body.data;
    expect(c0).toMatchObject({ postId: p.id, parentId: null, depth: 0, author: { id: bob.id } });
    const c1 = expectStatus(await post('/api/comments/replies', cyd.token, { postId: p.id, parentId: c0.id, content: 'agreed' }), 201, 'reply').body.data;
    expect(c1).toMatchObject({ parentId: c0.id, depth: 1 });
    const c2 = expectStatus(await post('/api/comments/replies', ada.token, { postId: p.id, parentId: c1.id, content: 'thanks' }), 201, 'reply 2').body.data;
    expect(c2.depth).toBe(2);
    const tooDeep = await post('/api/comments/replies', bob.token, { postId: p.id, parentId: c2.id, content: 'deeper' });
    expect(tooDeep.status).toBe(422);
    expect(tooDeep.body.code).toBe('COMMENT_DEPTH_LIMIT_EXCEEDED');
    if (s.cydPost) {
      const mismatch = await post('/api/comments/replies', bob.token, { postId: s.cydPost.id, parentId: c0.id, content: 'x' });
      expect(mismatch.status).toBe(400);
      expect(mismatch.body.code).toBe('PARENT_COMMENT_POST_MISMATCH');
    }
    expectStatus(await post(`/api/posts/${p.id}/like`, bob.token), 201, 'like');
    const twice = await post(`/api/posts/${p.id}/like`, bob.token);
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('POST_LIKE_ALREADY_EXISTS');
    // concurrent likes by one member make one like
    const burst = await Promise.all(Array.from({ length: 5 }, () => post(`/api/posts/${p.id}/like`, cyd.token)));
    expect(burst.filter((r) => r.status === 201)).toHaveLength(1);
    expectStatus(await post(`/api/comments/${c0.id}/like`, ada.token), 201, 'comment like');
    Object.assign(s, { c0, c1, c2 });
  }, 30_000);

  it(`the post shows in the followers' feeds within ${FEED_DEADLINE_MS} ms`, async (ctx) => {
    need(ctx, ['member', 'content', 'timeline'], 'post', 'followed');
    const took = {};
    const sinceCreation = () => Math.round(performance.now() - s.postCreatedAt);
    await Promise.all(['bob', 'cyd'].map(async (name) => {
      const r = await pollUntil(() => inFeed(s[name], s.post.id), { timeoutMs: Math.max(500, FEED_DEADLINE_MS + 1000 - sinceCreation()), intervalMs: 50 });
      took[name] = r.timedOut ? null : sinceCreation();
    }));
    console.log(`[measure] post creation -> visible in the followings feed (upper bound, polled every 50 ms): bob ${took.bob} ms, cyd ${took.cyd} ms (deadline ${FEED_DEADLINE_MS} ms)`);
    expect(took.bob, 'bob never saw the post').not.toBeNull();
    expect(took.cyd, 'cyd never saw the post').not.toBeNull();
    expect(took.bob).toBeLessThanOrEqual(FEED_DEADLINE_MS);
    expect(took.cyd).toBeLessThanOrEqual(FEED_DEADLINE_MS);
    const feed = (await get('/api/timeline/posts/followings?size=50', s.bob.token)).body.data.content;
    const item = feed.find((p) => p.id === s.post.id);
    expect(item.author).toMatchObject({ id: s.ada.id, handle: s.ada.handle });
    expect(typeof item.liked).toBe('boolean');
    expect(countIds(feed, [s.post.id]).get(s.post.id)).toBe(1);
    const own = await get('/api/timeline/posts?size=50', s.ada.token);
    expect(own.body.data.content.some((p) => p.id === s.post.id)).toBe(true);
  }, 30_000);

  it('post detail, counters, comments and replies on the read side', async (ctx) => {
    need(ctx, ['member', 'content', 'timeline'], 'post', 'c0', 'c1', 'c2');
    const { ada, bob, post: p, c0, c1 } = s;
    const r = await pollUntil(async () => {
      const st = await get(`/api/timeline/statistics/posts/${p.id}`, bob.token);
      return st.status === 200 && st.body.data.likeCount === 2 && st.body.data.commentCount === 3 ? st.body.data : null;
    }, { timeoutMs: 10_000, intervalMs: 200 });
    const last = (await get(`/api/timeline/statistics/posts/${p.id}`, bob.token)).body?.data;
    console.log(`[measure] counters settled in ${Math.round(r.ms)} ms: ${JSON.stringify(last)}`);
    expect(last).toMatchObject({ likeCount: 2, commentCount: 3 });
    const before = last.viewCount;
    const detail = expectStatus(await get(`/api/timeline/posts/${p.id}`, bob.token), 200, 'detail').body.data;
    expect(detail).toMatchObject({ id: p.id, liked: true, likeCount: 2, author: { id: ada.id } });
    await get(`/api/timeline/posts/${p.id}`, ada.token); // the author's own view does not count
    const views = await pollUntil(async () => (await get(`/api/timeline/statistics/posts/${p.id}`, bob.token)).body?.data?.viewCount > before, { timeoutMs: 5000 });
    await sleep(300); // an extra (author's) view would land by now
    const after = (await get(`/api/timeline/statistics/posts/${p.id}`, bob.token)).body.data.viewCount;
    expect(after, `views ${before} -> ${after} (${Math.round(views.ms)} ms)`).toBe(before + 1);
    const top = await listAll(`/api/timeline/posts/${p.id}/comments`, bob.token);
    expect(top.map((c) => c.id)).toEqual([c0.id]);
    expect(top[0]).toMatchObject({ replyCount: 1, likeCount: 1, author: { id: bob.id } });
    const replies = await listAll(`/api/timeline/comments/${c0.id}/replies`, bob.token);
    expect(replies.map((c) => c.id)).toEqual([c1.id]);
    const one = expectStatus(await get(`/api/timeline/comments/${c1.id}`, ada.token), 200, 'comment').body.data;
    expect(one).toMatchObject({ id: c1.id, parentId: c0.id, depth: 1 });
    const mine = await listAll('/api/timeline/comments', bob.token);
    expect(mine.some((c) => c.id === c0.id)).toBe(true);
  }, 40_000);

  it('the post is in most popular and most commented', async (ctx) => {
    need(ctx, ['member', 'content', 'timeline'], 'post');
    for (const list of ['most-popular', 'most-commented']) {
      const r = await pollUntil(async () => {
        const items = await listAll(`/api/timeline/posts/${list}?window=24h`, s.bob.token, { maxPages: 5 });
        return countIds(items, [s.post.id]).get(s.post.id) ?? 0;
      }, { timeoutMs: 10_000, intervalMs: 300 });
      console.log(`[measure] ${list}: the post appeared after ${Math.round(r.ms)} ms`);
      expect(r.value, `${list} lists the post once`).toBe(1);
    }
    const bad = await get('/api/timeline/posts/most-popular?window=1y', s.bob.token);
    expect(bad.status).toBe(400);
  }, 40_000);

  it('search finds the post (Latin and Hangul), the comment and the member', async (ctx) => {
    need(ctx, ['member', 'content', 'search'], 'post', 'c0');
    const found = {};
    for (const [name, path, id] of [
      ['post by latin word', `/api/search/posts?keyword=${WORD}`, s.post.id],
      ['post by hangul word', `/api/search/posts?keyword=${encodeURIComponent(HANGUL)}`, s.post.id],
      ['comment', `/api/search/comments?keyword=${WORD}k`, s.c0.id],
      ['member by handle prefix', `/api/search/members?keyword=${s.bob.handle.slice(0, -2)}`, s.bob.id],
    ]) {
      const r = await pollUntil(async () => {
        const res = await get(path, s.ada.token);
        return res.status === 200 && res.body.data.content.find((x) => x.id === id);
      }, { timeoutMs: FEED_DEADLINE_MS + 500, intervalMs: 150 });
      found[name] = r.timedOut ? null : Math.round(r.ms);
      if (name.startsWith('post') && r.value) expect(r.value.highlight, 'highlight').toBeTruthy();
    }
    console.log(`[measure] search found after (ms): ${JSON.stringify(found)}`);
    for (const [name, ms] of Object.entries(found)) expect(ms, `search ${name}`).not.toBeNull();
    const empty = await get('/api/search/posts?keyword=', s.ada.token);
    expect(empty.status).toBe(400);
  }, 60_000);

  it('the activity banner lists what the followings did (READ events left out)', async (ctx) => {
    need(ctx, ['member', 'content', 'activity'], 'post', 'c0', 'c1', 'followed');
    const { ada, bob, cyd, post: p, c0, c1 } = s;
    const expected = [
      { memberId: bob.id, type: 'COMMENT_CREATE', commentId: c0.id },
      { memberId: cyd.id, type: 'COMMENT_CREATE', commentId: c1.id },
      { memberId: bob.id, type: 'LIKE_POST', postId: p.id },
      { memberId: cyd.id, type: 'LIKE_POST', postId: p.id },
      { memberId: bob.id, type: 'MEMBER_FOLLOW', targetMemberId: ada.id },
      { memberId: cyd.id, type: 'MEMBER_FOLLOW', targetMemberId: bob.id },
    ];
    const matches = (a, e) => Object.entries(e).every(([k, v]) => String(a[k]) === String(v));
    let items = [];
    const r = await pollUntil(async () => {
      items = await listAll('/api/member-activities/followings', ada.token, { maxPages: 5 });
      return expected.every((e) => items.some((a) => matches(a, e)));
    }, { timeoutMs: 10_000, intervalMs: 250 });
    console.log(`[measure] activity banner complete after ${Math.round(r.ms)} ms (${items.length} items)`);
    for (const e of expected) expect(items.filter((a) => matches(a, e)), JSON.stringify(e)).toHaveLength(1);
    expect(items.filter((a) => /_READ$/.test(a.type))).toEqual([]);
    expect(items.every((a) => a.memberId !== ada.id)).toBe(true);
    for (let i = 1; i < items.length; i++) expect(items[i - 1].createdAt >= items[i].createdAt).toBe(true);
    const mine = await listAll('/api/member-activities/me', ada.token, { maxPages: 5 });
    expect(mine.filter((a) => a.type === 'POST_CREATE' && a.postId === p.id)).toHaveLength(1);
  }, 30_000);

  it('a deleted post vanishes from feeds and search', async (ctx) => {
    need(ctx, ['member', 'content', 'timeline'], 'doomed', 'followed');
    const { ada, bob, doomed } = s;
    await pollUntil(() => inFeed(bob, doomed.id), { timeoutMs: FEED_DEADLINE_MS });
    expectStatus(await del(`/api/posts/${doomed.id}`, ada.token), 204, 'delete');
    const gone = await pollUntil(async () => !(await inFeed(bob, doomed.id)), { timeoutMs: FEED_DEADLINE_MS + 500 });
    console.log(`[measure] deleted post left bob's feed after ${Math.round(gone.ms)} ms`);
    expect(gone.timedOut).toBeFalsy();
    expect((await get(`/api/timeline/posts/${doomed.id}`, bob.token)).body.code).toBe('POST_NOT_FOUND');
    expect((await del(`/api/posts/${doomed.id}`, ada.token)).status).toBe(404);
    if (stack.ready.search) {
      const r = await pollUntil(async () => {
        const res = await get(`/api/search/posts?keyword=${WORD}d`, bob.token);
        return res.status === 200 && !res.body.data.content.some((x) => x.id === doomed.id);
      }, { timeoutMs: FEED_DEADLINE_MS + 500 });
      expect(r.timedOut, 'deleted post still in search').toBeFalsy();
    }
  }, 30_000);

  it('logout makes the token fail on every service within 1 s', async (ctx) => {
    need(ctx, ['member'], 'bob');
    const session = await login(s.bob.email);
    // one authenticated, harmless request per service (a 4xx other than 401 proves the token passed)
    const probes = {
      member: () => get('/api/members/me', session.token),
      content: () => del('/api/posts/999999999999/like', session.token),
      timeline: () => get('/api/timeline/posts?size=1', session.token),
      image: () => del('/api/images/999999999999', session.token),
      search: () => get('/api/search/posts?keyword=zz', session.token),
      activity: () => get('/api/member-activities/me?size=1', session.token),
    };
    const problems = [];
    const services = [];
    for (const svc of Object.keys(probes).filter((x) => stack.ready[x])) { // warm every cache first: eviction is what is measured
      const res = await probes[svc]();
      if (res.status === 401 || res.status >= 500) problems.push(`${svc} before logout: ${res.status} ${res.text.slice(0, 200)}`);
      else services.push(svc);
    }
    const out = await call('POST', '/api/authentication/logout', { token: session.token });
    expect(out.status).toBe(200);
    const t0 = performance.now();
    const took = {};
    await Promise.all(services.map(async (svc) => {
      for (;;) {
        const res = await probes[svc]();
        if (res.status === 401) {
          took[svc] = Math.round(performance.now() - t0);
          expect(res.headers['x-relogin-required'], `${svc} X-Relogin-Required`).toBe('true');
          expect(res.body?.result).toBe('FAIL');
          return;
        }
        if (performance.now() - t0 > 3000) { took[svc] = null; return; }
        await sleep(20);
      }
    }));
    const skipped = Object.keys(probes).filter((svc) => !services.includes(svc));
    console.log(`[measure] logout -> 401 per service (ms): ${JSON.stringify(took)}${skipped.length ? `; not measured (down or failing before logout): ${skipped.join(', ')}` : ''}`);
    expect(problems, 'services that did not accept the fresh token').toEqual([]);
    for (const svc of services) {
      expect(took[svc], `${svc} still accepts the token after 3 s`).not.toBeNull();
      expect(took[svc], `${svc} took ${took[svc]} ms`).toBeLessThanOrEqual(1000);
    }
    const refresh = await call('POST', '/api/token/refresh', { headers: { cookie: `refresh_token=${session.refresh}` } });
    expect(refresh.status, 'the refresh token of that login is dead too').toBe(401);
    expect((await get('/api/members/me', s.bob.token)).status, "bob's other session lives on").toBe(200);
  }, 30_000);

  it('refresh rotation, the grace period, and re-use detection revoking the chain', async (ctx) => {
    need(ctx, ['member'], 'bob');
    const graceS = Number(process.env.DAILYFEED_E2E_REFRESH_GRACE_SECONDS ?? 10);
    const session = await login(s.bob.email);
    const r1 = session.refresh;
    const refreshWith = (token) => call('POST', '/api/token/refresh', { headers: { cookie: `refresh_token=${token}` } });
    const first = expectStatus(await refreshWith(r1), 200, 'refresh');
    const r2 = cookieOf(first, 'refresh_token')?.value;
    expect(first.body.data.accessToken).toBeTruthy();
    expect(first.body.data.accessToken).not.toBe(session.token);
    expect(r2, 'a new refresh cookie').toBeTruthy();
    expect(r2).not.toBe(r1);
    expectStatus(await get('/api/members/me', first.body.data.accessToken), 200, 'new access token');
    // two tabs: the same rotated token again inside the grace period gets the same successor
    const tab2 = expectStatus(await refreshWith(r1), 200, 'refresh within grace');
    const tab2Cookie = cookieOf(tab2, 'refresh_token')?.value;
    expect(tab2Cookie, 'same successor within the grace period').toBe(r2);
    // rotation through the body form
    const viaBody = expectStatus(await call('POST', '/api/token/refresh', { json: { refreshToken: r2 } }), 200, 'refresh via body');
    const r3 = cookieOf(viaBody, 'refresh_token')?.value ?? viaBody.body.data.refreshToken;
    expect(r3).toBeTruthy();
    console.log(`[measure] waiting ${graceS + 1} s for the refresh grace period to pass`);
    await sleep((graceS + 1) * 1000);
    const reuse = await refreshWith(r1);
    expect(reuse.status, 're-use after the grace period').toBe(401);
    expect(reuse.headers['x-relogin-required']).toBe('true');
    const chain = await refreshWith(r3);
    expect(chain.status, 'the whole chain is revoked after re-use').toBe(401);
  }, 60_000);

  it('logout-all revokes every refresh token and the current access token', async (ctx) => {
    need(ctx, ['member'], 'ada');
    const a = await login(s.ada.email);
    const b = await login(s.ada.email);
    expectStatus(await call('POST', '/api/authentication/logout-all', { token: b.token }), 200, 'logout-all');
    const r = await pollUntil(async () => (await get('/api/members/me', b.token)).status === 401, { timeoutMs: 1000, intervalMs: 20 });
    expect(r.timedOut, 'current token still works 1 s after logout-all').toBeFalsy();
    for (const sess of [a, b, s.ada]) {
      const res = await call('POST', '/api/token/refresh', { headers: { cookie: `refresh_token=${sess.refresh}` } });
      expect(res.status).toBe(401);
    }
    Object.assign(s.ada, await login(s.ada.email)); // a fresh session for the steps after this one
  }, 30_000);

  it('deactivate: 204, tokens dead, login refused, posts stay with a placeholder author', async (ctx) => {
    need(ctx, ['member'], 'cyd');
    const { cyd, ada } = s;
    expectStatus(await del('/api/authentication/deactivate', cyd.token), 204, 'deactivate');
    const dead = await pollUntil(async () => (await get('/api/members/me', cyd.token)).status === 401, { timeoutMs: 1000, intervalMs: 20 });
    console.log(`[measure] deactivated member's token refused after ${Math.round(dead.ms)} ms`);
    expect(dead.timedOut).toBeFalsy();
    const relogin = await call('POST', '/api/authentication/login', { json: { email: cyd.email, password: 'Passw0rd!e2e' } });
    expect(relogin.status).toBe(401);
    if (stack.ready.timeline && s.cydPost) {
      const r = await pollUntil(async () => {
        const res = await get(`/api/timeline/posts/${s.cydPost.id}`, ada.token);
        return res.status === 200 && res.body.data.author.handle !== cyd.handle ? res.body.data : null;
      }, { timeoutMs: FEED_DEADLINE_MS });
      expect(r.value, 'the post stays').toBeTruthy();
      expect(JSON.stringify(r.value.author)).toContain('deleted');
    } else console.log('[note] placeholder author not checked: timeline-svc not up or no post of cyd');
    if (stack.ready.search) {
      const r = await pollUntil(async () => {
        const res = await get(`/api/search/members?keyword=${cyd.handle}`, ada.token);
        return res.status === 200 && !res.body.data.content.some((m) => m.id === cyd.id);
      }, { timeoutMs: FEED_DEADLINE_MS });
      expect(r.timedOut, 'deactivated member still found by search').toBeFalsy();
    }
  }, 30_000);
});
