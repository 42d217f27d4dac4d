/**
 * Sticky rollout buckets. A user's bucket depends only on the route id and the user's key, never on the weights,
 * so raising `new` from 10 to 20 keeps every user of the first 10% on the new side (monotone rollout).
 */
export const BUCKETS = 10_000;

/** FNV-1a over UTF-16 code units, then murmur3's finalizer so similar keys (user-1, user-2) spread evenly. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function bucketOf(routeId: string, key: string): number {
  return hash32(`${routeId}\u0000${key}`) % BUCKETS;
}

/** `newPercent` 0..100: the share of buckets served by the new side. */
export function choosesNew(bucket: number, newPercent: number): boolean {
  return bucket < newPercent * 100;
}
