/**
 * Secrets at rest: AES-256-GCM under subkeys derived (HKDF-SHA256) from JWT_KEK, one per
 * purpose, so a ciphertext of one purpose never decrypts as another. Layout: iv(12) | tag(16) | ct.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

export type SecretPurpose = 'signing-key' | 'refresh-successor';

export class SecretBox {
  private readonly keys = new Map<SecretPurpose, Buffer>();

  constructor(kek: Buffer) {
    for (const purpose of ['signing-key', 'refresh-successor'] as const) {
      this.keys.set(purpose, Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), `dailyfeed-member:${purpose}`, 32)));
    }
  }

  seal(purpose: SecretPurpose, plaintext: Buffer, aad = ''): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key(purpose), iv);
    cipher.setAAD(Buffer.from(aad));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ct]);
  }

  /** Throws if the data was tampered with or sealed under another KEK. */
  open(purpose: SecretPurpose, sealed: Buffer, aad = ''): Buffer {
    const decipher = createDecipheriv('aes-256-gcm', this.key(purpose), sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
  }

  private key(purpose: SecretPurpose): Buffer {
    const key = this.keys.get(purpose);
    if (!key) throw new Error(`no key for ${purpose}`);
    return key;
  }
}

export const sha256 = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');
