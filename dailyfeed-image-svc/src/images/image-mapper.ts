/** Image rows to the api.md §5 upload answer. */
import type { ImageRow } from '../db/images-repo.ts';
import type { Static } from 'typebox';
import type { UploadedImage } from '../../dailyfeed-shared/src/contracts/api.ts';
import { CONTENT_TYPE, type ImageFormat } from './detect.ts';

export const viewUrl = (id: string, variant: string) => `/api/images/view/${id}?variant=${variant}`;

export function toUploadedImage(row: ImageRow): Static<typeof UploadedImage> {
  const id = row.id.toString();
  return {
    id,
    contentType: CONTENT_TYPE[row.sourceType as ImageFormat] ?? row.sourceType,
    width: row.width,
    height: row.height,
    urls: { thumbnail: viewUrl(id, 'thumbnail'), medium: viewUrl(id, 'medium'), large: viewUrl(id, 'large') },
  };
}
