import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, effectiveFlags, loadConfig } from '../../config';

function load(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'figway-chat-cfg-'));
  writeFileSync(join(dir, 'routes.yaml'), 'routes: []\n');
  return loadConfig({ ROUTES_FILE: 'routes.yaml', ...env }, dir);
}

function problems(env: Record<string, string>): string[] {
  try {
    load(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message.split('\n');
  }
  assert.fail('config was accepted');
}

test('chat defaults: local provider, provider model names, timeouts, cache and session TTLs', () => {
  const c = load({});
  assert.equal(c.llm.provider, 'local');
  assert.equal(c.llm.modelPro, undefined);
  assert.equal(c.llm.firstTokenTimeoutMs, 20_000);
  assert.equal(c.llm.idleTimeoutMs, 30_000);
  assert.equal(c.llm.keepAliveMs, 15_000);
  assert.equal(c.llm.cacheTtlS, 3_600);
  assert.equal(c.llm.sessionTtlS, 604_800);
  assert.ok(!(effectiveFlags(c).notYetInForce as string[]).includes('LLM_PROVIDER'), 'LLM_PROVIDER is in force');
});

test('CACHE_ENABLED=false turns the AI response cache off too', () => {
  assert.equal(load({ CACHE_ENABLED: 'false' }).llm.cacheTtlS, 0);
});

test('a provider without its key, a fallback without a primary and bad values are all named at once', () => {
  const lines = problems({
    LLM_PROVIDER: 'openai',
    GOOGLE_API_KEY_FALLBACK: 'g2',
    LLM_IDLE_TIMEOUT_MS: 'soon',
    OPENAI_BASE_URL: 'ftp://x',
  }).join('\n');
  for (const key of ['LLM_IDLE_TIMEOUT_MS', 'OPENAI_BASE_URL']) assert.match(lines, new RegExp(key));
  // Cross-checks run once the values themselves parse.
  const cross = problems({ LLM_PROVIDER: 'openai', GOOGLE_API_KEY_FALLBACK: 'g2' }).join('\n');
  assert.match(cross, /OPENAI_API_KEY: required when LLM_PROVIDER=openai/);
  assert.match(cross, /GOOGLE_API_KEY: required with GOOGLE_API_KEY_FALLBACK/);
  assert.match(problems({ LLM_PROVIDER: 'gemini' }).join('\n'), /GOOGLE_API_KEY: required when LLM_PROVIDER=gemini/);
  assert.match(problems({ LLM_PROVIDER: 'claude' }).join('\n'), /LLM_PROVIDER/);
});

test('the start-up flags say which keys are set, never their values', () => {
  const c = load({
    LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-very-secret',
    OPENAI_API_KEY_FALLBACK: 'sk-also-secret',
  });
  const flags = JSON.stringify(effectiveFlags(c));
  assert.ok(!flags.includes('sk-very-secret') && !flags.includes('sk-also-secret'));
  assert.match(flags, /primary\+fallback/);
});
