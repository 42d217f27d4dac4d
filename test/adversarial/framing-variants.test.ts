import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startGateway, type RunningGateway } from '../support/gateway';
import { rawExchange } from '../support/http';
import { startRecordingUpstream, type Received } from '../support/recording-upstream';
import { waitFor } from '../support/wait';

// Framing tricks beyond test/e2e/request-smuggling (CL.TE, two CLs, TE+TE, bare LF): the llhttp CVE regressions
// and Http11Probe's framing/whitespace categories. Each payload carries a second request after the body the
// attacker hopes the gateway will see differently from the upstream; "nothing reached legacy" is the point.

let up: Awaited<ReturnType<typeof startRecordingUpstream>>;
let gw: RunningGateway;
before(async () => {
  up = await startRecordingUpstream();
  gw = await startGateway({ LEGACY_URL: up.url, RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  await up?.close();
});

const smuggled = 'GET /api/v1/admin/smuggled HTTP/1.1\r\nHost: x\r\n\r\n';
const post = (head: string, body: string) => `POST /api/v1/echo HTTP/1.1\r\nHost: x\r\n${head}\r\n${body}${smuggled}`;

const refused: [string, string][] = [
  ['Transfer-Encoding value on an obs-fold continuation line', post('Transfer-Encoding:\r\n chunked\r\n', '0\r\n\r\n')],
  ['whitespace between the field name and the colon', post('Transfer-Encoding : chunked\r\n', '0\r\n\r\n')],
  ['Transfer-Encoding: xchunked (unknown coding)', post('Transfer-Encoding: xchunked\r\n', '0\r\n\r\n')],
  [
    'Transfer-Encoding: chunked, identity (chunked not last)',
    post('Transfer-Encoding: chunked, identity\r\n', '0\r\n\r\n'),
  ],
  ['a chunk size with leading junk', post('Transfer-Encoding: chunked\r\n', 'x5\r\nhello\r\n0\r\n\r\n')],
  ['a chunk size with trailing junk', post('Transfer-Encoding: chunked\r\n', '5x\r\nhello\r\n0\r\n\r\n')],
  [
    'a chunk size that overflows 64 bits',
    post('Transfer-Encoding: chunked\r\n', '10000000000000005\r\nhello\r\n0\r\n\r\n'),
  ],
  ['a negative chunk size', post('Transfer-Encoding: chunked\r\n', '-5\r\nhello\r\n0\r\n\r\n')],
  ['a chunk extension ended by a bare LF', post('Transfer-Encoding: chunked\r\n', '5;a=b\nhello\r\n0\r\n\r\n')],
  ['Content-Length: +4 (a sign is not a digit)', post('Content-Length: +4\r\n', 'abcd')],
  ['Content-Length: 4, 4 (a list, even of equal values)', post('Content-Length: 4, 4\r\n', 'abcd')],
  ['Content-Length in hex', post('Content-Length: 0x4\r\n', 'abcd')],
  ['a negative Content-Length', post('Content-Length: -1\r\n', 'abcd')],
  ['a Content-Length past 2^64', post('Content-Length: 99999999999999999999\r\n', 'abcd')],
  [
    'a Content-Length and an identity field in the chunked trailer section',
    post('Transfer-Encoding: chunked\r\n', '0\r\nContent-Length: 50\r\nX-Figway-User-Id: admin\r\n\r\n'),
  ],
  ['HTTP/1.2 in the request line', `GET /api/v1/echo HTTP/1.2\r\nHost: x\r\n\r\n${smuggled}`],
  ['a lower-case protocol name', `GET /api/v1/echo http/1.1\r\nHost: x\r\n\r\n${smuggled}`],
  ['a bare CR inside the head', `GET /api/v1/echo HTTP/1.1\r\nHost: x\r\nX-A: 1\rX-B: 2\r\n\r\n${smuggled}`],
  ['a NUL byte in a field value', `GET /api/v1/echo HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n${smuggled}`],
  // This 400 comes from a gateway hook, after Node's parser has read the request that follows; the hook marks the
  // connection as closing first, so that one is dropped, never forwarded (pipelined-after-refusal).
  [
    'two Host field lines (RFC 9112 3.2)',
    `GET /api/v1/echo HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n${smuggled}`,
  ],
  ['an HTTP/2 preface sent in the clear to the HTTP/1.1 listener', `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n${smuggled}`],
  // Optional whitespace is SP or HTAB only (RFC 9110 5.6.3); llhttp refuses the head, so not even the POST is sent.
  ['a vertical tab before "chunked"', post('Transfer-Encoding: \x0bchunked\r\n', '0\r\n\r\n')],
];

for (const [name, payload] of refused) {
  test(`${name}: 400, one response, nothing reaches legacy`, async () => {
    up.received.length = 0;
    const answer = await rawExchange(gw.port, payload, 500);
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /application\/problem\+json/);
    assert.equal((answer.match(/HTTP\/1\.1 \d{3} /g) ?? []).length, 1, 'the trailing request was never answered');
    assert.deepEqual(
      up.received.map((r) => r.url),
      [],
    );
  });
}

test('Transfer-Encoding on HTTP/1.0 (RFC 9112 6.1): legacy gets exactly the one decoded POST, the connection ends there', async () => {
  // Node decodes the chunked body and then, as 6.1 asks, reads nothing more on that connection: the trailing bytes
  // are a parse error (400, close). The POST may still be in flight to legacy when the client is answered.
  up.received.length = 0;
  const answer = await rawExchange(
    gw.port,
    `POST /api/v1/echo HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n${smuggled}`,
    500,
  );
  assert.match(answer, /^HTTP\/1\.1 (200|400) /);
  // The answer came with Connection: close and the connection ended, so nothing after the POST can be forwarded.
  await waitFor(() => up.received.length > 0, 5_000, { what: 'the decoded POST at legacy' });
  assert.deepEqual(
    up.received.map((r) => [r.method, r.url, r.body]),
    [['POST', '/api/v1/echo', 'abc']],
  );
});

test('an HTTP/1.1 request with no Host is refused by the parser (400) and not forwarded', async () => {
  up.received.length = 0;
  const answer = await rawExchange(gw.port, 'GET /api/v1/echo HTTP/1.1\r\n\r\n', 500);
  assert.match(answer, /^HTTP\/1\.1 400 /);
  assert.equal(up.received.length, 0);
});

// What Node accepts must reach legacy as exactly one request with unambiguous framing: the gateway re-frames the
// body itself (Content-Length or its own chunking), never relaying the client's Transfer-Encoding text.
const accepted: [string, string][] = [
  ['a tab as the whitespace before "chunked" (OWS allows HTAB)', 'Transfer-Encoding:\tchunked'],
  ['Transfer-Encoding: identity, chunked (chunked last)', 'Transfer-Encoding: identity, chunked'],
  ['a chunk extension with a quoted value', 'Transfer-Encoding: chunked'],
];

for (const [name, te] of accepted) {
  test(`${name}: legacy gets one well-framed request with the exact body`, async () => {
    up.received.length = 0;
    const chunk = name.includes('extension') ? '5;name="v; x"\r\nhello\r\n' : '5\r\nhello\r\n';
    const payload = `POST /api/v1/echo HTTP/1.1\r\nHost: x\r\n${te}\r\nConnection: close\r\n\r\n${chunk}0\r\n\r\n`;
    const answer = await rawExchange(gw.port, payload, 500);
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.equal(up.received.length, 1);
    const r: Received = up.received[0];
    assert.equal(r.body, 'hello');
    const te2 = r.fields.get('transfer-encoding') ?? [];
    const cl = r.fields.get('content-length') ?? [];
    assert.ok(te2.length + cl.length === 1, `exactly one framing field upstream: TE=${te2} CL=${cl}`);
    if (te2.length) assert.equal(te2[0], 'chunked');
  });
}

test('after all of that, a plain request on a fresh connection is still served', async () => {
  up.received.length = 0;
  const answer = await rawExchange(gw.port, 'GET /api/v1/fine HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 500);
  assert.match(answer, /^HTTP\/1\.1 200 /);
  assert.deepEqual(
    up.received.map((r) => r.url),
    ['/api/v1/fine'],
  );
});
