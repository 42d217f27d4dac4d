import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';

const DOC = 'abcdefghijklmnopqrstuvwxyz';
let upstream: CountingUpstream;
let gw: RunningGateway;
const seen = new Map<string, number>();
const hitsFor = (path: string) => seen.get(path) ?? 0;

before(async () => {
  // Serves the one range form this test sends (bytes=a-b), as a 206 the origin is responsible for.
  upstream = await startCountingUpstream((req, res) => {
    const path = req.url ?? '/';
    seen.set(path, (seen.get(path) ?? 0) + 1);
    const cc = 'public, max-age=60';
    const range = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers.range ?? ''));
    if (range) {
      const [from, to] = [Number(range[1]), Number(range[2])];
      res.writeHead(206, {
        'cache-control': cc,
        'content-range': `bytes ${from}-${to}/${DOC.length}`,
        'accept-ranges': 'bytes',
      });
      return res.end(DOC.slice(from, to + 1));
    }
    res.writeHead(200, { 'cache-control': cc, 'accept-ranges': 'bytes', 'content-type': 'text/plain' });
    res.end(DOC);
  });
  const routes = routesFile(`
routes:
  - { id: files, path: /files/*, target: legacy }
  - { id: shared-files, path: /shared/*, target: legacy, cache: { with_credentials: true } }
`);
  gw = await startGateway({ LEGACY_URL: upstream.url, ROUTES_FILE: routes, RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  await upstream?.close();
});

for (const prefix of ['/files', '/shared']) {
  const label = prefix === '/shared' ? ' (even on a with_credentials route)' : '';
  test(`a Range request gets the origin's 206, not the whole cached body, and leaves the entry alone${label}`, async () => {
    const path = `${prefix}/alphabet.txt`;
    assert.equal((await send(`${gw.url}${path}`)).headers['x-cache'], 'MISS');
    const part = await send(`${gw.url}${path}`, { headers: { range: 'bytes=2-5' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers['x-cache'], 'BYPASS');
    assert.equal(part.body.toString(), 'cdef');
    const whole = await send(`${gw.url}${path}`);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers['x-cache'], 'HIT');
    assert.equal(whole.body.toString(), DOC);
    assert.equal(hitsFor(path), 2);
  });

  test(`a request with Cache-Control: no-store goes to the origin and is not served from the cache${label}`, async () => {
    const path = `${prefix}/notes.txt`;
    assert.equal((await send(`${gw.url}${path}`)).headers['x-cache'], 'MISS');
    const res = await send(`${gw.url}${path}`, { headers: { 'cache-control': 'no-store' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-cache'], 'BYPASS');
    assert.equal(hitsFor(path), 2);
  });
}
