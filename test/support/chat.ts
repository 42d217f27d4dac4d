import { startFakeOpenAi, type FakeOpenAi } from './fake-openai';
import { startGateway, waitReady, type RunningGateway } from './gateway';
import { send } from './http';
import { TEST_JWT_SECRET, tokens } from './tokens';

export const bearer = (sub = 'user-7') => ({ authorization: `Bearer ${tokens.valid({ sub })}` });

/** The gateway with LLM_PROVIDER=openai pointed at a fresh fake OpenAI server (key `primary`). */
export async function startChatGateway(
  env: Record<string, string> = {},
): Promise<{ gw: RunningGateway; fake: FakeOpenAi; stop(): Promise<void> }> {
  const fake = await startFakeOpenAi();
  const gw = await startGateway({
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT: 'off',
    LLM_PROVIDER: 'openai',
    OPENAI_BASE_URL: fake.baseUrl,
    OPENAI_API_KEY: 'primary',
    // Nothing listens here: readiness needs no legacy for these tests, history migration finds no cookie.
    LEGACY_URL: 'http://127.0.0.1:9',
    ...env,
  }).catch(async (err) => {
    await fake.close();
    throw err;
  });
  return {
    gw,
    fake,
    async stop() {
      await gw.stop();
      await fake.close();
    },
  };
}

/** One metric sample's value from /metrics, or undefined. `labels` must all appear on the sample. */
export async function metric(
  gw: RunningGateway,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const text = (await send(`${gw.url}/metrics`)).body.toString();
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').pop());
  }
  return undefined;
}

export { waitReady };
