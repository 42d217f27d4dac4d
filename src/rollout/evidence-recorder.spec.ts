import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore } from '../store/memory-store';
import { clusterServed } from './cluster-served';
import { addEvidence, emptyEvidence, fromFields } from './evidence';
import { EvidenceRecorder, evidenceKey } from './evidence-recorder';

const quiet = { warn() {}, log() {} };

test('two instances add their seconds to one bucket; only routes that can change side are counted', async () => {
  const store = new MemoryStore();
  const a = new EvidenceRecorder(store, new Set(['items']), quiet);
  const b = new EvidenceRecorder(store, new Set(['items']), quiet);
  const second = Math.floor(Date.now() / 1000);
  a.request('items', 'legacy', 200, 0.01);
  a.request('items', 'upstream', 200, 0.02);
  a.request('items', 'upstream', 503, 0.02);
  a.request('v1', 'legacy', 200, 0.01);
  b.request('items', 'fallback', 200, 0.03);
  b.request('items', 'module', 200, 0.02);
  b.request('items', 'gateway', 200, 0.02);
  b.shadow('items', 'new', 200, 5, 'same');
  b.shadow('items', 'new', 0, 5, 'none');
  b.shadow('items', 'legacy', 200, 5, 'diff');
  await a.flush(second + 1);
  await b.flush(second + 1);
  const [fields] = await store.readCounts([evidenceKey('items', second)]);
  const ev = fromFields(fields);
  assert.deepEqual([ev.legacy.requests, ev.new.requests, ev.new.errors, ev.fallback], [1, 4, 2, 1]);
  // Copies to legacy are compared but are not the new side's sample.
  assert.deepEqual([ev.shadow.requests, ev.shadow.errors, ev.same, ev.diff], [2, 1, 1, 1]);
  assert.deepEqual(await store.readCounts([evidenceKey('v1', second)]), [{}]);
  await store.close();
});

test('served_cluster sums the last five minutes by side, fallback apart, without the unflushed second', async () => {
  const store = new MemoryStore();
  const now = Date.now();
  const second = Math.floor(now / 1000);
  const put = (s: number, fields: Record<string, number>) => store.addCounts(evidenceKey('items', s), fields, 60_000);
  await put(second - 1, { 'l.n': 30, 'n.n': 10, fallback: 2 });
  await put(second - 299, { 'l.n': 10 });
  await put(second - 301, { 'l.n': 1000 }); // outside the window (seconds - 300 .. - 1)
  await put(second, { 'n.n': 1000 }); // the current second: not flushed by every instance yet
  const served = await clusterServed(store, 'items', now);
  assert.deepEqual(
    { legacy: served.legacy, new: served.new, fallback: served.fallback, total: served.total },
    { legacy: 40, new: 8, fallback: 2, total: 50 },
  );
  assert.deepEqual(served.share, { legacy: 0.8, new: 0.16, fallback: 0.04 });
  await store.close();
});

test('a copy the new side failed is an error of its shadow sample, not a difference; a copy to legacy is compared whatever its status', async () => {
  const store = new MemoryStore();
  const recorder = new EvidenceRecorder(store, new Set(['items']), quiet);
  const second = Math.floor(Date.now() / 1000);
  recorder.shadow('items', 'new', 503, 5, 'diff');
  recorder.shadow('items', 'new', 502, 5, 'same');
  recorder.shadow('items', 'new', 200, 5, 'diff');
  recorder.shadow('items', 'new', 200, 5, 'same');
  recorder.shadow('items', 'legacy', 503, 5, 'diff');
  await recorder.flush(second + 1);
  // The recorder's bucket is the second it was made in: this one or, across a boundary, the one before.
  const buckets = await store.readCounts([second - 1, second].map((s) => evidenceKey('items', s)));
  const ev = buckets.map(fromFields).reduce(addEvidence, emptyEvidence());
  assert.deepEqual([ev.shadow.requests, ev.shadow.errors], [4, 2]);
  assert.deepEqual([ev.same, ev.diff], [1, 2], "only the copies the new side answered are compared, and legacy's");
  await store.close();
});
