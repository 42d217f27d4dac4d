import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { rawExchange, send } from '../support/http';

let up: CountingUpstream;
let gw: RunningGateway;
before(async () => {
  up = await startCountingUpstream();
  gw = await startGateway({ LEGACY_URL: up.url });
  await waitReady(gw);
});
after(async () => {
  await gw?.stop();
  await up?.close();
});

const fields = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-field-${i}`, 'v']));

test('a request head over 16 KiB is refused with a 431 HEADERS_TOO_LARGE problem and never forwarded', async () => {
  up.reset();
  // Raw bytes: Node's parser refuses the head before any route runs (errors/client-error.ts answers).
  const answer = await rawExchange(
    gw.port,
    `GET /api/v1/x HTTP/1.1\r\nHost: t\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`,
    300,
  );
  assert.match(answer, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  assert.match(answer, /\r\nContent-Type: application\/problem\+json\r\n/i);
  const problem = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
  assert.equal(problem.status, 431);
  assert.equal(problem.code, 'HEADERS_TOO_LARGE');
  assert.equal(up.hits(), 0);
});

test('up to 100 header fields pass; 101 get 431 problem and never reach the upstream', async () => {
  up.reset();
  // send() adds Host and Connection: 98 + 2 = 100 fields.
  assert.equal((await send(`${gw.url}/api/v1/x`, { headers: fields(98) })).status, 200);
  assert.equal(up.hits(), 1);
  const res = await send(`${gw.url}/api/v1/x`, { headers: fields(99) });
  assert.equal(res.status, 431, res.body.toString());
  assert.equal(res.json().code, 'HEADERS_TOO_LARGE');
  assert.equal(up.hits(), 1);
});

test('keep-alive connections are held 65 s, longer than a 60 s load-balancer idle timeout', async () => {
  const head = await rawExchange(gw.port, 'GET /api/v1/x HTTP/1.1\r\nHost: t\r\n\r\n', 300);
  assert.match(head, /^HTTP\/1\.1 200/);
  assert.match(head, /\r\nKeep-Alive: timeout=65\r\n/i);
});
