import type { DataCipher } from '../crypto/data-cipher';
import type { KeyValueStore } from './key-value-store';

/**
 * The store as seen by features that keep user data: values are sealed with the data cipher, bound to their key,
 * and re-sealed under the active key when read after a rotation.
 */
export class EncryptedStore {
  constructor(
    private readonly store: KeyValueStore,
    private readonly cipher: DataCipher,
  ) {}

  async get(key: string, ttlMsOnRotate?: number): Promise<Buffer | null> {
    const blob = await this.store.get(key);
    if (!blob) return null;
    const plain = this.cipher.decrypt(blob, key);
    if (ttlMsOnRotate && this.cipher.needsRotation(blob)) await this.set(key, plain, ttlMsOnRotate);
    return plain;
  }

  set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    return this.store.set(key, this.cipher.encrypt(value, key), ttlMs);
  }

  /** One winner across instances (the store's SET NX); the value is sealed the same way as set(). */
  setIfAbsent(key: string, value: Buffer, ttlMs: number): Promise<boolean> {
    return this.store.setIfAbsent(key, this.cipher.encrypt(value, key), ttlMs);
  }

  del(key: string): Promise<boolean> {
    return this.store.del(key);
  }
}
