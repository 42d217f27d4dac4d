import type Redis from 'ioredis';

export interface StoreProbe {
  readonly kind: 'redis' | 'memory';
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export const STORE_PROBE = Symbol('STORE_PROBE');

export const memoryProbe: StoreProbe = {
  kind: 'memory',
  ping: async () => true,
  close: async () => {},
};

export function redisProbe(client: Redis): StoreProbe {
  return {
    kind: 'redis',
    async ping() {
      try {
        return (await client.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      client.disconnect();
    },
  };
}
