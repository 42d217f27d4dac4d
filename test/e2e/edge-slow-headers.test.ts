import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, waitReady, type RunningGateway } from '../support/gateway';

let up: CountingUpstream;
let gw: RunningGateway;
before(async () => {
  up = await startCountingUpstream();
  // The default is 10 s; a short one keeps the test quick while proving the same mechanism.
  gw = await startGateway({ LEGACY_URL: up.url, REQUEST_HEADERS_TIMEOUT_MS: '1500' });
  await waitReady(gw);
});
after(async () => {
  await gw?.stop();
  await up?.close();
});

test('a client that trickles its request head is cut off after the header timeout with a 408 REQUEST_TIMEOUT problem (slowloris)', async () => {
  const started = Date.now();
  const sock = connect({ host: '127.0.0.1', port: gw.port });
  let answer = '';
  sock.on('data', (d) => (answer += d.toString('latin1')));
  sock.on('error', () => undefined);
  sock.write('GET /api/v1/x HTTP/1.1\r\nHost: t\r\n');
  // One more header line every 300 ms: each byte is on time, the head as a whole never is.
  const drip = setInterval(() => sock.writable && sock.write(`X-Drip-${Date.now()}: 1\r\n`), 300);
  await new Promise<void>((resolve) => sock.once('close', () => resolve()));
  clearInterval(drip);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 1_400, `closed too early: ${elapsed} ms`);
  assert.ok(elapsed < 4_500, `held for ${elapsed} ms`);
  assert.match(answer, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  const problem = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
  assert.equal(problem.status, 408);
  assert.equal(problem.code, 'REQUEST_TIMEOUT');
  assert.equal(up.hits(), 0);
});
