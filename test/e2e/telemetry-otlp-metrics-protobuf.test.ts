import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startGateway } from '../support/gateway';
import { send } from '../support/http';
import { CLOSED_PORT } from '../support/ports';
import { startReceiver } from '../support/otlp-receiver';
import { waitFor } from '../support/wait';

test("with no protocol named, metrics go as http/protobuf (the specification's default) to <endpoint>/v1/metrics", async (t) => {
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const gw = await startGateway({
    LEGACY_URL: `http://127.0.0.1:${CLOSED_PORT}`,
    OTEL_METRICS_EXPORTER: 'otlp',
    // The shared endpoint is a base: /v1/metrics is appended. It turns tracing on too: its spans go to /v1/traces
    // as JSON, which the fake collector reads; the traces' protocol is not the metrics' one.
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    OTEL_METRIC_EXPORT_INTERVAL: '200',
  });
  t.after(() => gw.stop());
  assert.equal((await send(`${gw.url}/health`)).status, 200);
  // Protobuf keeps strings as their UTF-8 bytes: the series names are in the body as they are on /metrics.
  const names = ['gateway_requests_total', 'gateway_request_duration_seconds', 'gateway_dependency_up', 'figway'];
  const complete = () => receiver.metricExports.some((e) => names.every((n) => e.body.includes(Buffer.from(n))));
  await waitFor(complete, 20_000, {
    what: `an export with ${names.join(', ')}`,
    stepMs: 50,
    detail: () => `${receiver.metricExports.length} exports\n${gw.child.output()}`,
  });
  for (const e of receiver.metricExports) assert.equal(e.contentType, 'application/x-protobuf');
});
