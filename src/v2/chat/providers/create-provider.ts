import type { LlmConfig } from '../../../config';
import { GeminiProvider } from './gemini-provider';
import { KeyFallbackProvider } from './key-fallback';
import type { LlmErrorKind, LlmProvider } from './llm-provider';
import { LocalProvider } from './local-provider';
import { OpenAiProvider } from './openai-provider';

/** The provider LLM_PROVIDER names, with its fallback key when one is set (config checked the keys exist). */
export function createProvider(c: LlmConfig, onFallback: (provider: string, kind: LlmErrorKind) => void): LlmProvider {
  switch (c.provider) {
    case 'local':
      return new LocalProvider(c.localTokenDelayMs);
    case 'openai': {
      const keys = [c.openai.apiKey!, c.openai.fallbackKey].filter((k): k is string => Boolean(k));
      return new KeyFallbackProvider(
        keys.map((apiKey) => new OpenAiProvider({ apiKey, baseUrl: c.openai.baseUrl })),
        onFallback,
      );
    }
    case 'gemini': {
      const keys = [c.gemini.apiKey!, c.gemini.fallbackKey].filter((k): k is string => Boolean(k));
      return new KeyFallbackProvider(
        keys.map((apiKey) => new GeminiProvider({ apiKey, baseUrl: c.gemini.baseUrl })),
        onFallback,
      );
    }
  }
}
