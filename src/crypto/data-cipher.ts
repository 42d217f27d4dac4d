import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataKey } from '../config';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class DecryptionError extends Error {
  constructor(reason: string) {
    super(`cannot decrypt stored value: ${reason}`);
    this.name = 'DecryptionError';
  }
}

/**
 * AES-256-GCM for user data the gateway keeps (chat history, session data copied from legacy).
 * Layout: version byte, key-id length, key id, 96-bit random IV, ciphertext, 128-bit tag. The associated data
 * binds a value to its purpose (the store key), so a ciphertext copied under another key fails to decrypt.
 */
export class DataCipher {
  private readonly byId: Map<string, Buffer>;
  private readonly active: DataKey;

  constructor(keys: DataKey[]) {
    if (keys.length === 0) throw new Error('DataCipher needs at least one key');
    this.active = keys[0];
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  /** An ephemeral key for development when DATA_ENCRYPTION_KEY is unset. */
  static ephemeral(): DataCipher {
    return new DataCipher([{ id: 'ephemeral', key: randomBytes(32) }]);
  }

  get activeKeyId(): string {
    return this.active.id;
  }

  encrypt(plain: Buffer, aad: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.active.key, iv);
    cipher.setAAD(Buffer.from(aad));
    const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
    const kid = Buffer.from(this.active.id);
    return Buffer.concat([Buffer.from([VERSION, kid.length]), kid, iv, ct, cipher.getAuthTag()]);
  }

  decrypt(blob: Buffer, aad: string): Buffer {
    if (blob.length < 2 + IV_BYTES + TAG_BYTES || blob[0] !== VERSION) throw new DecryptionError('unknown format');
    const kidEnd = 2 + blob[1];
    const kid = blob.subarray(2, kidEnd).toString();
    const key = this.byId.get(kid);
    if (!key) throw new DecryptionError(`key id ${kid} is not configured`);
    const iv = blob.subarray(kidEnd, kidEnd + IV_BYTES);
    const tag = blob.subarray(blob.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([
        decipher.update(blob.subarray(kidEnd + IV_BYTES, blob.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new DecryptionError('authentication failed');
    }
  }

  /** True when a value was written under an older key and should be rewritten under the active one. */
  needsRotation(blob: Buffer): boolean {
    return blob.length > 2 && blob.subarray(2, 2 + blob[1]).toString() !== this.active.id;
  }
}
