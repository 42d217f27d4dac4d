// First, before anything loads undici or ioredis: the tracing instrumentations hook into them as they load.
import { tracing } from './telemetry/start-tracing';
import 'reflect-metadata';
import { ConfigError, loadConfig, type GatewayConfig } from './config';
import { createGateway, type Gateway } from './gateway';
import { warnIfLegacyUnreachable } from './health/legacy-at-boot';
import { writeListenAddress } from './lifecycle/listen-address';
import { MigrationControl } from './migration/migration-control';
import { GatewayMetrics } from './telemetry/metrics';
import { startOtlpMetrics, type OtlpMetrics } from './telemetry/otlp-metrics';

/** Awaits `work`, for at most `ms`: a collector that is down must not hold the pod past its termination grace. */
function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([work.then(() => true), new Promise<false>((r) => setTimeout(r, ms, false).unref())]);
}

function installShutdown(gw: Gateway, config: GatewayConfig, otlpMetrics: OtlpMetrics | undefined): void {
  let started = false;
  const shutdown = async (signal: string) => {
    if (started) return;
    started = true;
    const log = gw.fastify.log;
    // Readiness fails at once; the delay lets load balancers notice before the listener goes away.
    gw.lifecycle.shuttingDown = true;
    log.info({ signal, delayMs: config.shutdown.delayMs, graceMs: config.shutdown.graceMs }, 'shutting down');
    await new Promise((r) => setTimeout(r, config.shutdown.delayMs));
    const server = gw.app.getHttpServer();
    // Connections that finish their last response become idle later; close them as they do.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    const force = setTimeout(() => {
      log.warn('grace period over: closing remaining connections');
      server.closeAllConnections();
    }, config.shutdown.graceMs);
    try {
      await gw.close();
    } finally {
      clearInterval(sweep);
      clearTimeout(force);
    }
    // After the server closed, so the last requests' spans are in the batch. Bounded: a collector that is down must
    // not hold the pod past its termination grace period (the exporter's own timeout is 10 s by default).
    if (tracing) {
      const flushed = tracing.shutdown().then(
        () => true,
        (err: unknown) => (log.warn({ err: (err as Error).message }, 'trace export at shutdown failed'), true),
      );
      const capped = await Promise.race([flushed, new Promise<false>((r) => setTimeout(r, 5_000, false).unref())]);
      if (!capped) log.warn('trace export at shutdown timed out after 5 s; remaining spans dropped');
    }
    // The last values, so a collector sees the final counts of the drain (a failed push is logged by the exporter).
    const pushed = otlpMetrics?.shutdown().catch(() => undefined);
    if (pushed && !(await settlesWithin(pushed, 5_000))) log.warn('OTLP metrics push at shutdown timed out after 5 s');
    log.info('shut down cleanly');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

/** SIGHUP re-reads routes.yaml, for mounts where the file watcher sees nothing (src/migration). */
function installReload(gw: Gateway): void {
  const migration = gw.app.get(MigrationControl);
  process.on('SIGHUP', () => migration.reloadFile('SIGHUP'));
}

async function main(): Promise<void> {
  let config: GatewayConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`figway: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const metrics = new GatewayMetrics();
  const gw = await createGateway(config, undefined, metrics);
  const otlpMetrics = startOtlpMetrics(config.otlpMetrics, metrics.registry, gw.fastify.log);
  installShutdown(gw, config, otlpMetrics);
  installReload(gw);
  const url = await gw.listen();
  gw.fastify.log.info({ url }, 'figway listening');
  if (config.listenAddressFile) writeListenAddress(config.listenAddressFile, url);
  void warnIfLegacyUnreachable(gw.fastify.log, config.legacyUrls);
  void tracing?.collectorCheck.then((err) => {
    if (err)
      gw.fastify.log.warn(
        { err },
        'the OTLP collector did not take the start-up export; spans may not arrive (check OTEL_EXPORTER_OTLP_ENDPOINT)',
      );
  });
}

main().catch((err) => {
  process.stderr.write(`figway: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
