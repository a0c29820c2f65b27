// Test data made on the spot: images generated with sharp, unique words (Latin and Hangul).
import sharp from 'sharp';

/** A PNG of width x height with a gradient, and EXIF metadata that the upload must strip. */
export async function makePng(width = 120, height = 80) {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = (x * 255) / width;
      raw[i + 1] = (y * 255) / height;
      raw[i + 2] = 128;
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .withExif({ IFD0: { Copyright: 'dailyfeed-e2e-secret', Artist: 'dailyfeed-e2e-secret' } })
    .png()
    .toBuffer();
}

/** A unique Latin word: `e2e` + base36 of the id, letters and digits only. */
export const latinWord = (id) => `zq${id.replace(/[^a-z0-9]/gi, '')}`;

/** A unique Hangul word made from the id's characters (one syllable per base36 digit). */
export const hangulWord = (id) => [...id.replace(/[^a-z0-9]/gi, '').toLowerCase()]
  .map((c) => String.fromCharCode(0xac00 + parseInt(c, 36) * 28 + 4)).join('');
