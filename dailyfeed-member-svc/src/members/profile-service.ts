/**
 * Profiles: reads, partial update (with the avatar attached in image-svc and the previous one
 * deleted there), handle change. Every committed change refreshes the cached member record,
 * so summaries and resolves show it at once on every replica.
 */
import type pg from 'pg';
import type { Profile, Summary } from '../../dailyfeed-shared/src/contracts/api.ts';
import { ErrorCode } from '../../dailyfeed-shared/src/contracts/error-codes.ts';
import { AppError, notFound } from '../../dailyfeed-shared/src/http/errors.ts';
import type { ServiceClient } from '../../dailyfeed-shared/src/clients/service-client.ts';
import { UpstreamRejectedError } from '../../dailyfeed-shared/src/clients/errors.ts';
import { findActiveMemberByHandle, findMemberById, isFollowing, updateMember, type UPDATABLE_COLUMNS } from '../db/members-repo.ts';
import { uniqueViolation } from '../db/pool.ts';
import type { AuthState } from '../tokens/auth-state.ts';
import { profileOf, recordOf, summaryOfRecord, type MemberRow } from './member-mapper.ts';

interface Logger {
  warn(obj: object, msg: string): void;
}

export interface ProfileServiceDeps {
  pool: pg.Pool;
  state: AuthState;
  /** image-svc client (bulk profile); undefined when IMAGE_SVC_URL is not configured. */
  images: ServiceClient | undefined;
  log: Logger;
}

export type ProfileChanges = Partial<Record<Exclude<keyof typeof UPDATABLE_COLUMNS, 'handle'>, string | null>>;

const memberNotFound = () => notFound(ErrorCode.MEMBER_NOT_FOUND, 'member not found');

export class ProfileService {
  constructor(private readonly d: ProfileServiceDeps) {}

  async summary(memberId: string): Promise<Summary> {
    const record = (await this.d.state.records([memberId])).get(memberId);
    if (!record) throw memberNotFound();
    return summaryOfRecord(record);
  }

  /** Summaries in the order asked; unknown ids are left out, deactivated ones show "deleted". */
  async summaries(ids: readonly string[]): Promise<Summary[]> {
    const unique = [...new Set(ids)];
    const records = await this.d.state.records(unique);
    return unique.flatMap((id) => {
      const record = records.get(id);
      return record ? [summaryOfRecord(record)] : [];
    });
  }

  async profileById(memberId: string, callerId: string): Promise<Profile> {
    const row = await findMemberById(this.d.pool, memberId);
    if (!row || row.deactivated_at) throw memberNotFound();
    return this.toProfile(row, callerId);
  }

  async profileByHandle(handle: string, callerId: string): Promise<Profile> {
    const row = await findActiveMemberByHandle(this.d.pool, handle);
    if (!row) throw memberNotFound();
    return this.toProfile(row, callerId);
  }

  async update(memberId: string, changes: ProfileChanges): Promise<Profile> {
    const before = await findMemberById(this.d.pool, memberId);
    if (!before || before.deactivated_at) throw memberNotFound();
    const newAvatar = changes.avatarImageId;
    const avatarChanges = newAvatar !== undefined && newAvatar !== before.avatar_image_id;
    if (avatarChanges && newAvatar !== null) await this.attachAvatar(memberId, newAvatar);
    const row = await updateMember(this.d.pool, memberId, changes);
    if (!row) throw memberNotFound();
    await this.d.state.memberChanged(recordOf(row));
    if (avatarChanges && before.avatar_image_id !== null) await this.deletePreviousAvatar(memberId, before.avatar_image_id);
    return profileOf(row, false);
  }

  async changeHandle(memberId: string, newHandle: string): Promise<Profile> {
    let row: MemberRow | undefined;
    try {
      row = await updateMember(this.d.pool, memberId, { handle: newHandle });
    } catch (error) {
      if (uniqueViolation(error) === 'members_handle_lower_key') throw new AppError(409, ErrorCode.HANDLE_ALREADY_EXISTS, 'this handle is already taken');
      throw error;
    }
    if (!row) throw memberNotFound();
    await this.d.state.memberChanged(recordOf(row));
    return profileOf(row, false);
  }

  private async toProfile(row: MemberRow, callerId: string): Promise<Profile> {
    const following = row.id === callerId ? false : await isFollowing(this.d.pool, callerId, row.id);
    return profileOf(row, following);
  }

  /** The image must be the caller's: image-svc says so (a 4xx of it is the client's mistake). */
  private async attachAvatar(ownerId: string, imageId: string): Promise<void> {
    if (!this.d.images) return;
    try {
      await this.d.images.post('/internal/images/attach', { body: { ownerId, imageIds: [imageId], purpose: 'profile' }, idempotent: true });
    } catch (error) {
      if (error instanceof UpstreamRejectedError) {
        throw new AppError(error.status === 404 ? 404 : 422, error.status === 404 ? ErrorCode.IMAGE_NOT_FOUND : error.code, error.message);
      }
      throw error;
    }
  }

  /** Best effort: the profile already points at the new image; an orphan is only storage. */
  private async deletePreviousAvatar(ownerId: string, imageId: string): Promise<void> {
    if (!this.d.images) return;
    try {
      await this.d.images.post('/internal/images/delete', { body: { ownerId, imageIds: [imageId] }, idempotent: true });
    } catch (error) {
      this.d.log.warn({ err: error, imageId }, 'previous avatar could not be deleted in image-svc');
    }
  }
}
