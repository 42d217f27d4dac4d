import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { stampingSink } from './html-nonce-stamper';

const NONCE = 'AAAAAAAAAAAAAAAAAAAAAA==';
const N = ` nonce="${NONCE}"`;

/** Writes `chunks` through the sink one by one, as the upstream body arrives, and returns what reached the client. */
async function stamp(chunks: (string | Buffer)[], coding?: string): Promise<Buffer> {
  const out: Buffer[] = [];
  const sinkEnd = new Writable({
    write(c: Buffer, _e, cb) {
      out.push(c);
      cb();
    },
  });
  const sink = stampingSink(sinkEnd, NONCE, coding);
  for (const c of chunks) {
    sink.write(typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
    await new Promise((r) => setImmediate(r));
  }
  sink.end();
  await finished(sinkEnd);
  return Buffer.concat(out);
}

const text = async (chunks: (string | Buffer)[], coding?: string) => (await stamp(chunks, coding)).toString('utf8');

test('inline <script> and <style> without a nonce are stamped; the rest of the bytes are unchanged', async () => {
  const html =
    '<!doctype html><html><head><style>p{}</style><script>var a = 1 < 2;</script></head><body><p class=x>hi</p></body></html>';
  assert.equal(
    await text([html]),
    `<!doctype html><html><head><style${N}>p{}</style><script${N}>var a = 1 < 2;</script></head><body><p class=x>hi</p></body></html>`,
  );
});

test('a tag split across chunks (inside the name, inside an attribute) is stamped once', async () => {
  const chunks = ['<p>a</p><scr', 'ipt src="/a.', 'js" defer></script><st', 'yle>b{}</style>'];
  assert.equal(await text(chunks), `<p>a</p><script${N} src="/a.js" defer></script><style${N}>b{}</style>`);
});

test('one byte at a time still works, and multi-byte UTF-8 split across chunks passes byte for byte', async () => {
  const html = '<p>caf\u00e9 \u2603 \u{1F600}</p><script>"\u00e9"</script>';
  const bytes = Buffer.from(html, 'utf8');
  const chunks = [...bytes].map((b) => Buffer.from([b]));
  assert.equal(await text(chunks), `<p>caf\u00e9 \u2603 \u{1F600}</p><script${N}>"\u00e9"</script>`);
});

test('an existing nonce is kept, never doubled or replaced', async () => {
  const html = '<script nonce="upstream">a()</script><style NONCE="u2">x{}</style>';
  assert.equal(await text([html]), html);
});

test('uppercase and mixed-case tags are stamped with their own spelling kept', async () => {
  assert.equal(
    await text(['<SCRIPT>a()</SCRIPT><Style>x{}</Style>']),
    `<SCRIPT${N}>a()</SCRIPT><Style${N}>x{}</Style>`,
  );
});

test('script-looking text in comments, attribute values, script bodies and textarea is untouched', async () => {
  const html = [
    '<!-- <script>evil()</script> -->',
    '<div title="<script>x</script>" data-s=\'<style>\'>d</div>',
    '<script>document.write("<script>inner()<\\/script>")</script>',
    '<textarea><script>typed</script></textarea>',
  ].join('');
  const expected = [
    '<!-- <script>evil()</script> -->',
    '<div title="<script>x</script>" data-s=\'<style>\'>d</div>',
    `<script${N}>document.write("<script>inner()<\\/script>")</script>`,
    '<textarea><script>typed</script></textarea>',
  ].join('');
  assert.equal(await text([html]), expected);
});

test('other tags (link, img with handlers, noscript-free markup) are untouched', async () => {
  const html = '<link rel=stylesheet href=/a.css><img src=x onerror="alert(1)"><scripts>no</scripts><styles></styles>';
  assert.equal(await text([html]), html);
});

test('a self-closing and an attribute-less script in foreign content (svg) are stamped', async () => {
  assert.equal(await text(['<svg><script/></svg>']), `<svg><script${N}/></svg>`);
});

test('gzip bodies are decoded, stamped and sent uncompressed, whatever the chunking of the compressed bytes', async () => {
  const gz = gzipSync(Buffer.from('<html><script>go()</script></html>'));
  const chunks = [gz.subarray(0, 7), gz.subarray(7, 20), gz.subarray(20)];
  assert.equal(await text(chunks, 'gzip'), `<html><script${N}>go()</script></html>`);
});

test('a corrupt gzip body destroys the client side instead of sending garbage', async () => {
  const sinkEnd = new Writable({ write: (_c, _e, cb) => cb() });
  const sink = stampingSink(sinkEnd, NONCE, 'gzip');
  sink.on('error', () => undefined);
  sink.end(Buffer.from('not gzip at all'));
  await new Promise((r) => sinkEnd.once('close', r));
  assert.equal(sinkEnd.destroyed, true);
});
