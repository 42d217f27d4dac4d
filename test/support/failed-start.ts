import { startChild } from './child';
import { GATEWAY_MAIN, ROOT } from './paths';

/**
 * Starts the gateway with only `env` (and PATH) and waits for it to exit, as it must on a config error; what it
 * printed is what a person at the terminal sees. Killed after 15 s: a gateway that starts is a failure too.
 */
export async function startExpectingExit(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = startChild(process.execPath, [GATEWAY_MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 15_000);
  const code = await child.exited;
  clearTimeout(timer);
  return { code, output: child.output() };
}
