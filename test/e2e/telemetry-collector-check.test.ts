import assert from 'node:assert/strict';
import { test } from 'node:test';
import { routesFile, startGateway } from '../support/gateway';
import { waitFor } from '../support/migration';
import { startReceiver } from '../support/otlp-receiver';
import { CLOSED_PORT } from '../support/ports';

// At start-up the gateway sends its OTLP collector empty batches: an operator learns at boot whether spans can
// be delivered (src/telemetry/tracing.ts, warmUpExporter, also says what it does for throughput).

const ROUTES = `
routes:
  - id: v1
    path: /api/v1/*
    target: legacy
`;

/** waitFor, with the gateway's output in the error when it times out. */
function until(pred: () => boolean, timeoutMs: number, output: () => string): Promise<unknown> {
  return waitFor(pred, timeoutMs).catch((err: Error) => {
    throw new Error(`${err.message}\n${output()}`);
  });
}

test('a reachable collector gets an empty batch before any request, and nothing is logged about it', async () => {
  const receiver = await startReceiver();
  const gw = await startGateway({
    ROUTES_FILE: routesFile(ROUTES),
    LEGACY_URL: 'http://127.0.0.1:9',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  });
  try {
    await until(
      () => receiver.bodies.length > 0,
      5_000,
      () => gw.child.output(),
    );
    assert.deepEqual(JSON.parse(receiver.bodies[0]), { resourceSpans: [] });
    assert.equal(receiver.spans.length, 0);
    // Proves an absence (no line about the collector): the outcome is logged once the start-up exports (a few empty
    // batches in a row, each answered at once over loopback, a few ms in all) are through, so 300 ms after the
    // first one arrived is ample.
    await new Promise((r) => setTimeout(r, 300));
    assert.doesNotMatch(gw.child.output(), /OTLP collector/);
  } finally {
    await gw.stop();
    await receiver.close();
  }
});

test('an unreachable collector is reported at start-up, and the gateway serves on', async () => {
  const dead = `http://127.0.0.1:${CLOSED_PORT}`;
  const gw = await startGateway({
    ROUTES_FILE: routesFile(ROUTES),
    LEGACY_URL: 'http://127.0.0.1:9',
    OTEL_EXPORTER_OTLP_ENDPOINT: dead,
    // Bounds the exporter's retries of the refused connection.
    OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
  });
  try {
    await until(
      () => /OTLP collector did not take the start-up export/.test(gw.child.output()),
      10_000,
      () => gw.child.output(),
    );
    const line = gw.child
      .output()
      .split('\n')
      .find((l) => l.includes('OTLP collector'))!;
    const entry = JSON.parse(line) as { level: number; err: string };
    assert.equal(entry.level, 40, 'warn');
    assert.match(entry.err, /ECONNREFUSED|connect/i, 'says why');
    const res = await fetch(`${gw.url}/health`);
    assert.equal(res.status, 200);
  } finally {
    await gw.stop();
  }
});
