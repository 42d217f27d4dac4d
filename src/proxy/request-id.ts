import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A caller's id is kept when it is short and plain (it lands in logs and upstream headers). */
const VALID = /^[A-Za-z0-9._:-]{1,128}$/;

export function validRequestId(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && VALID.test(value) ? value : undefined;
}

export function requestIdFor(req: IncomingMessage): string {
  return validRequestId(req.headers['x-request-id']) ?? randomUUID();
}
