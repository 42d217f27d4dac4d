import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { waitFor } from '../support/wait';

// A client that opens an event stream and never reads is the cheapest memory attack on a streaming proxy: if the
// gateway keeps reading from legacy while it cannot write to the client, every stalled stream buffers without
// bound. Backpressure must reach legacy instead: legacy's writes stall, the gateway's memory stays flat, and
// everyone else is still served.

const EVENT = `data: ${'x'.repeat(64 * 1024 - 8)}\n\n`;
let up: CountingUpstream;
let gw: RunningGateway;
let written = 0;
let streams = 0;

before(async () => {
  up = await startCountingUpstream((req, res) => {
    if (!req.url?.startsWith('/api/v1/events')) return void res.end('ok');
    streams++;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    // As fast as the gateway takes it, and no faster: the only brake is the gateway's own backpressure.
    const pump = () => {
      while (!res.destroyed) {
        written += EVENT.length;
        if (!res.write(EVENT)) return void res.once('drain', pump);
      }
    };
    res.on('close', () => res.removeAllListeners('drain'));
    pump();
  });
  gw = await startGateway({ LEGACY_URL: up.url, RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  await up?.close();
});

async function rssBytes(): Promise<number> {
  const text = (await send(`${gw.url}/metrics`)).body.toString();
  const line = text.split('\n').find((l) => l.startsWith('process_resident_memory_bytes '));
  assert.ok(line, 'process_resident_memory_bytes is exported');
  return Number(line.split(' ')[1]);
}

test("stalled SSE readers stall legacy, not the gateway's memory, and other clients are still served", async (t) => {
  const before = await rssBytes();
  const sockets: Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const s = connect({ host: '127.0.0.1', port: gw.port });
    s.on('error', () => {});
    // Never read: pause before a byte arrives, so the kernel buffers fill and TCP flow control pushes back.
    s.pause();
    s.write('GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
    sockets.push(s);
  }
  try {
    // Let the pipes fill (polled: a loaded CI box fills them more slowly) until legacy's count stands still from
    // one look to the next, then check that legacy makes no further progress while nobody reads.
    let last = -1;
    await waitFor(
      () => {
        const still = written === last;
        last = written;
        return still;
      },
      8_000,
      { what: 'legacy to stop writing into the stalled streams', stepMs: 500, detail: () => `${written} bytes` },
    );
    assert.equal(streams, 4, 'every stalled client did open a stream to legacy');
    const plateau = written;
    // Proves an absence (no progress while nobody reads): legacy pumps as fast as the gateway takes it, and the
    // pipes above filled at loopback speed, so in 1 s unbounded buffering would move far past the 4 MB allowed below.
    await sleep(1_000);
    const sinceplateau = written - plateau;
    assert.ok(sinceplateau < 4 * 1024 * 1024, `legacy kept writing ${sinceplateau} bytes into stalled streams`);
    // Socket and stream buffers along four pipes: a few MB each. Unbounded buffering would be hundreds of MB by now.
    assert.ok(written < 4 * 32 * 1024 * 1024, `legacy wrote ${written} bytes for 4 clients that read nothing`);

    const started = Date.now();
    const other = await send(`${gw.url}/api/v1/echo/alive`, { timeoutMs: 3_000 });
    assert.equal(other.status, 200);
    assert.ok(Date.now() - started < 1_000, 'another client is served promptly');

    const after = await rssBytes();
    t.diagnostic(`legacy wrote ${written} bytes (${sinceplateau} after the plateau); RSS ${before} -> ${after}`);
    assert.ok(after - before < 96 * 1024 * 1024, `gateway RSS grew by ${((after - before) / 1048576).toFixed(1)} MB`);
  } finally {
    for (const s of sockets) s.destroy();
  }
});
