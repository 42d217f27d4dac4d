import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';

export const TEST_JWT_SECRET = 'a-test-secret-that-is-long-enough-0123456789';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Tokens a client or an attacker could present. */
export const tokens = {
  valid: (claims: object = {}, secret = TEST_JWT_SECRET) =>
    jwt.sign({ sub: 'user-7', ...claims }, secret, { algorithm: 'HS256', expiresIn: 300 }),
  noExp: () => jwt.sign({ sub: 'user-7' }, TEST_JWT_SECRET, { algorithm: 'HS256' }),
  expired: () =>
    jwt.sign({ sub: 'user-7', exp: Math.floor(Date.now() / 1000) - 3_600 }, TEST_JWT_SECRET, { algorithm: 'HS256' }),
  algNone: () =>
    `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'admin', exp: Math.floor(Date.now() / 1000) + 300 })}.`,
  rs256: () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return jwt.sign({ sub: 'user-7' }, privateKey, { algorithm: 'RS256', expiresIn: 300 });
  },
  garbage: () => 'not.a.jwt',
  oversized: () =>
    jwt.sign({ sub: 'user-7', pad: 'x'.repeat(9_000) }, TEST_JWT_SECRET, { algorithm: 'HS256', expiresIn: 300 }),
};
