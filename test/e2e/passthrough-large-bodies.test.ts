import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { startStack, type Stack } from '../support/stack';

let s: Stack;
before(async () => (s = await startStack()));
after(() => s?.stop());

function hashOfDownload(url: string): Promise<{ sha: string; bytes: number; status: number }> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      const h = createHash('sha256');
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        h.update(c);
        bytes += c.length;
      });
      res.on('end', () => resolve({ sha: h.digest('hex'), bytes, status: res.statusCode ?? 0 }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

test('a 20 MB download arrives hash-identical to the direct one', async () => {
  const size = 20 * 1024 * 1024;
  const [direct, via] = await Promise.all([
    hashOfDownload(`${s.legacy.url}/api/v1/download?size=${size}`),
    hashOfDownload(`${s.gateway.url}/api/v1/download?size=${size}`),
  ]);
  assert.equal(via.status, 200);
  assert.equal(via.bytes, size);
  assert.equal(via.sha, direct.sha);
});

test('a chunked 8 MB upload arrives hash-identical, streamed', async () => {
  const chunk = Buffer.alloc(64 * 1024);
  const total = 8 * 1024 * 1024;
  const expected = createHash('sha256');
  let sent = 0;
  let i = 0;
  const body = new Readable({
    read() {
      if (sent >= total) return this.push(null);
      chunk.fill(i++ % 251);
      expected.update(chunk);
      sent += chunk.length;
      this.push(Buffer.from(chunk));
    },
  });
  const result = await new Promise<{ status: number; json: any }>((resolve, reject) => {
    const u = new URL(`${s.gateway.url}/api/v1/upload`);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    body.pipe(req);
  });
  assert.equal(result.status, 200);
  assert.equal(result.json.bytes, total);
  assert.equal(result.json.sha256, expected.digest('hex'));
});
