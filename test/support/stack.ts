import { startGateway, type RunningGateway } from './gateway';
import { startLegacy, type LegacyApp } from './legacy-flask';

export interface Stack {
  legacy: LegacyApp;
  gateway: RunningGateway;
  stop(): Promise<void>;
}

/** The real Flask app under gunicorn with the real gateway in front of it. */
export async function startStack(
  gatewayEnv: Record<string, string> = {},
  legacyEnv: Record<string, string> = {},
): Promise<Stack> {
  const legacy = await startLegacy(legacyEnv);
  try {
    const gateway = await startGateway({ LEGACY_URL: legacy.url, ...gatewayEnv });
    return {
      legacy,
      gateway,
      async stop() {
        await gateway.stop();
        await legacy.stop();
      },
    };
  } catch (err) {
    await legacy.stop();
    throw err;
  }
}
