import { z } from 'zod';

/** Largest accepted request body: 8000 characters of message are at most 32 KiB of UTF-8, plus JSON overhead. */
export const CHAT_BODY_LIMIT = 64 * 1024;

/** POST /api/v2/chat, as DESIGN.md names it. Unknown fields are refused: a typo must not be silently ignored. */
export const chatBody = z
  .object({
    message: z
      .string()
      .min(1)
      .max(8_000)
      .refine((m) => m.trim().length > 0, 'must not be blank'),
    conversation_id: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be 1-128 characters of A-Z a-z 0-9 _ -')
      .optional(),
    model: z.enum(['pro', 'flash']).optional(),
  })
  .strict();

export type ChatBody = z.output<typeof chatBody>;
