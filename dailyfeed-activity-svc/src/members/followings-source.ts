/**
 * Whom a member follows, from member-svc's internal API through the shared resilient client
 * (`GET /internal/members/{id}/followings/ids`, contracts/internal/member.ts), not from the
 * member schema: the contract is member-svc's promise, its tables are not (README,
 * "Followings"). At most FOLLOW_LIMIT (1000) ids, one call per banner page.
 */
import { UpstreamRejectedError, type ServiceClient } from '../../dailyfeed-shared/src/clients/index.ts';
import { ErrorCode } from '../../dailyfeed-shared/src/contracts/error-codes.ts';
import { AppError } from '../../dailyfeed-shared/src/http/errors.ts';
import { MEMBER_INTERNAL_PATHS, type FollowingIds } from '../../dailyfeed-shared/src/contracts/internal/member.ts';

export interface FollowingsSource {
  followingIds(memberId: string): Promise<string[]>;
}

export const memberSvcFollowings = (member: ServiceClient): FollowingsSource => ({
  async followingIds(memberId) {
    let data: FollowingIds;
    try {
      data = await member.get<FollowingIds>(MEMBER_INTERNAL_PATHS.followingIds(memberId));
    } catch (error) {
      // A 4xx to our own, authenticated caller's id is member-svc's (or the contract's) fault,
      // not the client's: never echo member-svc's 404 as if the client asked for a bad path.
      if (error instanceof UpstreamRejectedError) {
        throw new AppError(503, ErrorCode.MEMBER_SERVICE_UNAVAILABLE, 'the followings of the caller cannot be read right now', { cause: error });
      }
      throw error;
    }
    return data.ids.filter((id) => /^[1-9][0-9]{0,18}$/.test(id));
  },
});
