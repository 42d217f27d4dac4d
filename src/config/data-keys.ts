import { z } from 'zod';

export interface DataKey {
  id: string;
  key: Buffer;
}

/**
 * DATA_ENCRYPTION_KEY: `kid:base64key[,kid:base64key...]`, 32-byte keys (AES-256). The first key encrypts; the
 * others only decrypt, so a key is rotated by putting a new one first and dropping the old one once its data
 * has expired or been rewritten.
 */
export const dataKeysSchema = z.string().transform((v, ctx): DataKey[] => {
  const keys: DataKey[] = [];
  for (const entry of v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z0-9_-]{1,32}):([A-Za-z0-9+/=_-]+)$/.exec(entry);
    const key = m ? Buffer.from(m[2], 'base64') : undefined;
    if (!m || key?.length !== 32) {
      ctx.addIssue({
        code: 'custom',
        message: 'each entry must be kid:<base64 of 32 bytes> (openssl rand -base64 32)',
      });
      return z.NEVER;
    }
    if (keys.some((k) => k.id === m[1])) {
      ctx.addIssue({ code: 'custom', message: `key id ${m[1]} appears twice` });
      return z.NEVER;
    }
    keys.push({ id: m[1], key: key! });
  }
  if (keys.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'needs at least one kid:key entry' });
    return z.NEVER;
  }
  return keys;
});
