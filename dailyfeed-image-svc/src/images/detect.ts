/**
 * The type of an upload decided by its first bytes, never by its name or declared type.
 * The decoder then has to agree (pipeline.ts), so a file that only starts like an image
 * is still refused.
 */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif';

export const CONTENT_TYPE: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
};

const ascii = (bytes: Buffer, start: number, end: number) => bytes.subarray(start, end).toString('latin1');

export function detectImageFormat(bytes: Buffer): ImageFormat | null {
  if (bytes.length < 12) return null;
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return 'gif';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  if (ascii(bytes, 4, 8) === 'ftyp') {
    // ISO-BMFF: the major brand and the compatible brands of the ftyp box.
    const boxSize = bytes.readUInt32BE(0);
    const brands = [];
    for (let offset = 8; offset + 4 <= Math.min(boxSize, bytes.length, 64); offset += 4) {
      if (offset !== 12) brands.push(ascii(bytes, offset, offset + 4)); // 12..16 is the minor version
    }
    if (brands.includes('avif') || brands.includes('avis')) return 'avif';
  }
  return null;
}
