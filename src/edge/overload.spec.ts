import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { OverloadMonitor, type OverloadReason } from './overload';

test('a blocked event loop turns shedding on, and the next calm sample turns it off', async () => {
  const changes: { reason: OverloadReason | undefined; lagMs: number }[] = [];
  const monitor: OverloadMonitor = new OverloadMonitor(
    { maxEventLoopLagMs: 100, maxHeapRatio: 0 },
    (reason) => changes.push({ reason, lagMs: monitor.lagMs }),
    20,
  );
  monitor.start();
  try {
    await sleep(60);
    assert.equal(changes.length, 0);
    const until = Date.now() + 300;
    while (Date.now() < until); // what a CPU-bound burst does to every queued callback
    await sleep(150);
    assert.deepEqual(
      changes.map((c) => c.reason),
      ['event_loop_lag', undefined],
    );
    assert.ok(changes[0].lagMs >= 200, `lag ${changes[0].lagMs}`);
    assert.equal(monitor.reason, undefined);
  } finally {
    monitor.stop();
  }
});

test('a heap past its share of the V8 limit sheds', async () => {
  const monitor = new OverloadMonitor({ maxEventLoopLagMs: 0, maxHeapRatio: 1e-6 }, undefined, 20);
  monitor.start();
  try {
    await sleep(60);
    assert.equal(monitor.reason, 'heap');
  } finally {
    monitor.stop();
  }
});

test('both limits at 0: nothing runs', () => {
  const monitor = new OverloadMonitor({ maxEventLoopLagMs: 0, maxHeapRatio: 0 });
  assert.equal(monitor.enabled, false);
  monitor.start();
  monitor.stop();
});
