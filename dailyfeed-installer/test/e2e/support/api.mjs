// The dailyfeed public API of api.md, as a client sees it through the gateway.
import { cookieOf, multipart, request, runId } from './http.mjs';
import { GATEWAY_URL } from './stack.mjs';

export const PASSWORD = 'Passw0rd!e2e';

export const call = (method, path, opts = {}) => request(opts.base ?? GATEWAY_URL, method, path, opts);

/** Throws with the response when the status is not the expected one. */
export function expectStatus(res, status, what = '') {
  const ok = Array.isArray(status) ? status.includes(res.status) : res.status === status;
  if (!ok) throw new Error(`${what} expected ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  return res;
}

/** Signs a new member up and logs it in: {id, handle, email, token, refresh, member}. */
export async function newMember(tag = 'm', extra = {}) {
  const handle = `${tag}_${runId()}`.slice(0, 50);
  const email = `${handle}@e2e.example.com`;
  const signup = expectStatus(await call('POST', '/api/authentication/signup', {
    json: { email, password: PASSWORD, memberName: `${tag} member`, handle, displayName: `${tag} ${handle}`, ...extra },
  }), 201, 'signup');
  const id = signup.body.data.id;
  const session = await login(email);
  return { id, handle, email, ...session };
}

export async function login(email, password = PASSWORD) {
  const res = expectStatus(await call('POST', '/api/authentication/login', { json: { email, password } }), 200, 'login');
  const refresh = cookieOf(res, 'refresh_token');
  return { token: res.body.data.accessToken, refresh: refresh?.value, refreshCookie: refresh, member: res.body.data.member, loginResponse: res };
}

export const get = (path, token, opts = {}) => call('GET', path, { token, ...opts });
export const post = (path, token, json, opts = {}) => call('POST', path, { token, json, ...opts });
export const put = (path, token, json, opts = {}) => call('PUT', path, { token, json, ...opts });
export const del = (path, token, opts = {}) => call('DELETE', path, { token, ...opts });

export async function follow(who, target) {
  return expectStatus(await call('POST', `/api/members/follow/${target.id}`, { token: who.token }), 201, 'follow');
}

export async function createPost(who, content, extra = {}) {
  return expectStatus(await post('/api/posts', who.token, { content, ...extra }), 201, 'create post').body.data;
}

export async function uploadImage(who, png, { purpose } = {}) {
  const fields = { image: { filename: 'e2e.png', contentType: 'image/png', data: png } };
  if (purpose) fields.purpose = purpose;
  const { body, contentType } = multipart(fields);
  return call('POST', '/api/images/upload', { token: who.token, body, headers: { 'content-type': contentType } });
}

/** Every item of a list endpoint, following nextCursor (at most `maxPages` pages). */
export async function listAll(path, token, { size = 100, maxPages = 50 } = {}) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const url = `${path}${sep}size=${size}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = expectStatus(await get(url, token), 200, `GET ${url}`);
    items.push(...res.body.data.content);
    if (!res.body.data.hasNext || !res.body.data.nextCursor) break;
    cursor = res.body.data.nextCursor;
  }
  return items;
}

/** The ids of a page (or of a list of items) that equal one of `ids`. */
export const countIds = (items, ids) => {
  const want = new Set(ids.map(String));
  const seen = new Map();
  for (const item of items) if (want.has(String(item.id))) seen.set(String(item.id), (seen.get(String(item.id)) ?? 0) + 1);
  return seen;
};
