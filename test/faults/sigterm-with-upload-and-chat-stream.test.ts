// Pass criterion: SIGTERM arrives while a chunked upload (no Content-Length, the client still sending) is going to
// the real Flask legacy and a v2 chat SSE stream (slow local model) is mid-reply. Readiness answers 503 within
// 300 ms of the signal; the upload completes with 200 and Flask saw every byte (sha256 and length match); the chat
// stream ends with `event: done` and a clean end of the response (no reset, no `event: error`); the process exits 0
// within SHUTDOWN_GRACE_MS (6 s) of the signal.
// graceful-shutdown.test.ts covers a slow legacy GET and a legacy SSE stream; what it lacks is a request body still
// arriving during the shutdown (the listener closing must not cut a connection mid-request) and a v2 stream that
// the gateway itself produces.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { bearer } from '../support/chat';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send, type RawResponse } from '../support/http';
import { startLegacy, type LegacyApp } from '../support/legacy-flask';
import { postSse } from '../support/sse-client';
import { TEST_JWT_SECRET } from '../support/tokens';
import { waitFor } from '../support/wait';

const GRACE_MS = 6_000;
// Paces the upload's chunks and bounds the wait for the exit: a schedule and a deadline, not waits for an event.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let legacy: LegacyApp;
let gw: RunningGateway;

before(async () => {
  legacy = await startLegacy();
  gw = await startGateway({
    LEGACY_URL: legacy.url,
    JWT_SECRET: TEST_JWT_SECRET,
    LLM_PROVIDER: 'local',
    LLM_LOCAL_TOKEN_DELAY_MS: '100',
    RATE_LIMIT: 'off',
    SHUTDOWN_DELAY_MS: '1000',
    SHUTDOWN_GRACE_MS: String(GRACE_MS),
  });
});

after(async () => {
  await gw?.child.stop('SIGKILL', 1_000);
  await legacy?.stop();
});

/** A chunked POST whose chunks the test releases one by one; resolves with the answer once `end()` was called. */
function chunkedUpload(url: string) {
  const hash = createHash('sha256');
  let bytes = 0;
  let firstWritten!: () => void;
  const started = new Promise<void>((r) => (firstWritten = r));
  const req = request(url, {
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
  });
  const answer = new Promise<{ status: number; body: string; connection?: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  return {
    started,
    answer,
    async sendChunks(count: number, gapMs: number) {
      for (let i = 0; i < count; i++) {
        const chunk = Buffer.alloc(64 * 1024, (i * 7) % 256);
        hash.update(chunk);
        bytes += chunk.length;
        req.write(chunk);
        if (i === 0) firstWritten();
        await sleep(gapMs);
      }
      req.end();
      return { sha256: hash.digest('hex'), bytes };
    },
  };
}

test('SIGTERM during a chunked upload and a v2 chat stream: both finish cleanly, readiness fails at once, exit 0', async () => {
  const upload = chunkedUpload(`${gw.url}/api/v1/upload`);
  // 16 chunks 150 ms apart: the body is still arriving for ~2.4 s after the signal, past SHUTDOWN_DELAY_MS.
  const sent = upload.sendChunks(16, 150);
  let firstDelta!: () => void;
  const flowing = new Promise<void>((r) => (firstDelta = r));
  const chatSentAt = performance.now();
  const chat = postSse(`${gw.url}/api/v2/chat`, {
    headers: bearer('user-shutdown'),
    body: { message: 'tell me a long story about a strangler fig' },
    stopWhen: (e) => (e.event === 'delta' && firstDelta(), false),
    timeoutMs: 20_000,
  });
  chat.catch(() => firstDelta());
  await Promise.all([upload.started, flowing]);

  const termAt = performance.now();
  gw.child.proc.kill('SIGTERM');
  // Polled until the signal is handled; the listener stays open through SHUTDOWN_DELAY_MS (1 s).
  let ready!: RawResponse;
  await waitFor(async () => (ready = await send(`${gw.url}/health/ready`)).status === 503, 1_000, {
    what: '/health/ready 503 after SIGTERM',
    stepMs: 10,
  });
  const readyMs = performance.now() - termAt;
  assert.equal(ready.status, 503, ready.body.toString());
  assert.equal(ready.json().code, 'NOT_READY');
  assert.ok(readyMs < 500, `readiness failed only ${Math.round(readyMs)} ms after SIGTERM`);

  const expected = await sent;
  const up = await upload.answer;
  const uploadDoneMs = performance.now() - termAt;
  assert.equal(up.status, 200, up.body);
  assert.deepEqual(JSON.parse(up.body), { sha256: expected.sha256, bytes: expected.bytes });
  assert.ok(
    uploadDoneMs > 1_000,
    `the upload ended ${Math.round(uploadDoneMs)} ms after SIGTERM, within the delay, proving nothing`,
  );

  const stream = await chat;
  assert.equal(stream.status, 200);
  const kinds = stream.events.map((e) => e.event);
  assert.ok(kinds.filter((k) => k === 'delta').length >= 2, kinds.join(','));
  assert.equal(kinds.at(-1), 'done', `the stream ended with ${kinds.at(-1)}: ${kinds.join(',')}`);
  assert.ok(!kinds.includes('error'), kinds.join(','));
  // Guards the test itself: the stream must outlive SHUTDOWN_DELAY_MS, i.e. still be running when the listener closed.
  const doneAfterTerm = chatSentAt + stream.events.at(-1)!.at - termAt;
  assert.ok(doneAfterTerm > 1_000, `the chat ended ${Math.round(doneAfterTerm)} ms after SIGTERM, within the delay`);

  const code = await Promise.race([
    gw.child.exited,
    sleep(GRACE_MS + 1_000 - (performance.now() - termAt)).then(() => 'still running' as const),
  ]);
  const exitMs = performance.now() - termAt;
  assert.equal(code, 0, gw.child.output());
  assert.ok(exitMs < GRACE_MS, `exited ${Math.round(exitMs)} ms after SIGTERM, past SHUTDOWN_GRACE_MS`);
  console.log(
    `# sigterm: ready 503 after ${Math.round(readyMs)} ms, upload 200 after ${Math.round(uploadDoneMs)} ms, chat done after ${Math.round(doneAfterTerm)} ms, exit 0 after ${Math.round(exitMs)} ms`,
  );
});
