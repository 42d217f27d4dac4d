import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { startStack, type Stack } from '../support/stack';

let s: Stack;
before(async () => (s = await startStack()));
after(() => s?.stop());

/** Records when each chunk arrives, relative to the request start. */
function arrivals(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ headers: Record<string, unknown>; chunks: { at: number; text: string }[] }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const chunks: { at: number; text: string }[] = [];
    request(url, { agent: false, headers }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (text: string) => chunks.push({ at: Date.now() - t0, text }));
      res.on('end', () => resolve({ headers: res.headers, chunks }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

test('SSE events arrive one by one as legacy sends them, not buffered', async () => {
  const interval = 300;
  const { headers, chunks } = await arrivals(`${s.gateway.url}/api/v1/events?count=5&interval_ms=${interval}`, {
    accept: 'text/event-stream',
    'accept-encoding': 'gzip, br',
  });
  assert.match(String(headers['content-type']), /^text\/event-stream/);
  assert.equal(headers['content-encoding'], undefined, 'SSE must not be compressed');
  const events = chunks.flatMap((c) =>
    c.text
      .split('\n\n')
      .filter((e) => e.includes('data:'))
      .map(() => c.at),
  );
  assert.equal(events.length, 5);
  // Buffering would deliver them together at the end; streamed, they are spread over ~4 intervals.
  const spread = events[4] - events[0];
  assert.ok(spread >= interval * 3, `events arrived within ${spread} ms of each other: ${events.join(',')}`);
  for (let i = 1; i < events.length; i++)
    assert.ok(events[i] - events[i - 1] >= interval / 3, `event ${i} came too soon: ${events.join(',')}`);
});

test('a chunked response is flushed chunk by chunk', async () => {
  const { headers, chunks } = await arrivals(`${s.gateway.url}/api/v1/stream?chunks=4&interval_ms=300`);
  assert.equal(headers['content-length'], undefined);
  const lines = chunks.flatMap((c) =>
    c.text
      .split('\n')
      .filter(Boolean)
      .map(() => c.at),
  );
  assert.equal(lines.length, 4);
  assert.ok(lines[3] - lines[0] >= 800, `lines arrived at ${lines.join(',')}`);
  assert.ok(lines[0] < 700, `first line only after ${lines[0]} ms`);
});

test('a client that goes away mid-stream is not a gateway error, and the gateway keeps serving', async () => {
  await new Promise<void>((resolve, reject) => {
    const req = request(`${s.gateway.url}/api/v1/events?count=50&interval_ms=100`, { agent: false }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (e) =>
      e.message.includes('socket hang up') || (e as NodeJS.ErrnoException).code === 'ECONNRESET'
        ? undefined
        : reject(e),
    );
    req.end();
  });
  const health = await arrivals(`${s.gateway.url}/health`);
  assert.match(health.chunks.map((c) => c.text).join(''), /ok/);
  assert.doesNotMatch(s.gateway.child.output(), /"level":50/);
});
