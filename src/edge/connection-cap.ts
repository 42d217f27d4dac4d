import type { Server } from 'node:net';

/**
 * Caps open client connections with Node's `server.maxConnections`: a connection past the cap is closed as it is
 * accepted, before any TLS or HTTP work (nginx's `worker_connections` wall). The 503 + Retry-After answer belongs
 * to the overload monitor, which sheds requests on connections already held; at the cap there is no cheaper
 * honest answer than a close. `drop` (Node >= 18.6) counts them.
 */
export function capConnections(server: Server, max: number, onDropped: () => void): void {
  if (max <= 0) return;
  server.maxConnections = max;
  server.on('drop', onDropped);
}
