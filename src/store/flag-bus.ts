import { EventEmitter } from 'node:events';
import type { KeyValueStore } from './key-value-store';

/**
 * Live-flag changes between instances: Redis pub/sub when the store is Redis (a duplicated connection does the
 * subscribing, since a subscribed connection can do nothing else), an in-process emitter otherwise (one instance).
 * Messages are hints that carry the whole state; the store holds the truth for instances that were away.
 */
export interface FlagBus {
  publish(message: string): Promise<void>;
  /** `onMessage` for every message; `onConnected` each time the subscription is (re)established. */
  subscribe(onMessage: (message: string) => void, onConnected: () => void): void;
  close(): Promise<void>;
}

export function createFlagBus(store: KeyValueStore, channel: string): FlagBus {
  const redis = store.redis;
  if (!redis) {
    const emitter = new EventEmitter();
    return {
      publish: async (message) => void emitter.emit('message', message),
      subscribe(onMessage, onConnected) {
        emitter.on('message', onMessage);
        queueMicrotask(onConnected);
      },
      close: async () => void emitter.removeAllListeners(),
    };
  }
  const sub = redis.duplicate();
  // The store's client does not queue while Redis is away; neither does this one: a reconnect resubscribes.
  sub.on('error', () => {});
  return {
    publish: async (message) => void (await redis.publish(channel, message)),
    subscribe(onMessage, onConnected) {
      sub.on('message', (ch: string, message: string) => ch === channel && onMessage(message));
      sub.on('ready', () => {
        sub.subscribe(channel).then(onConnected, () => {});
      });
    },
    async close() {
      sub.disconnect();
    },
  };
}
