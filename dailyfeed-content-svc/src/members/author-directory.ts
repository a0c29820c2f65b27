/**
 * Author summaries from member-svc's internal API (critical client profile), cached a few
 * seconds in process: a post's author rarely changes, and a write answers with its author.
 * A member member-svc does not know (deactivated, gone) shows as the placeholder "deleted".
 */
import type { ServiceClient } from '../../dailyfeed-shared/src/clients/service-client.ts';
import type { Summary } from '../../dailyfeed-shared/src/contracts/api.ts';
import { MEMBER_INTERNAL_PATHS } from '../../dailyfeed-shared/src/contracts/internal/member.ts';

const TTL_MS = 10_000;

export const placeholderAuthor = (id: string): Summary => ({ id, handle: 'deleted', displayName: 'deleted', avatarUrl: null, verified: false });

export class AuthorDirectory {
  private readonly cache = new Map<string, { summary: Summary; expires: number }>();

  constructor(private readonly members: ServiceClient) {}

  /** The caller's own summary is known from authentication: no call needed. */
  remember(summary: Summary): void {
    this.cache.set(summary.id, { summary, expires: Date.now() + TTL_MS });
  }

  async summaryOf(id: string): Promise<Summary> {
    const cached = this.cache.get(id);
    if (cached && cached.expires > Date.now()) return cached.summary;
    const [summary] = await this.members.post<Summary[]>(MEMBER_INTERNAL_PATHS.summaries, { body: { ids: [id] }, idempotent: true });
    const found = summary ?? placeholderAuthor(id);
    this.cache.set(id, { summary: found, expires: Date.now() + TTL_MS });
    if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value!);
    return found;
  }
}
