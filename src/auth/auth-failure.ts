/** Why a bearer token was refused: each is a `result` of `gateway_auth_total{method="jwt"}`. */
export const JWT_REASONS = [
  'token_too_large',
  'token_malformed',
  'alg_not_allowed',
  'key_unknown',
  'signature_invalid',
  'exp_missing',
  'token_expired',
  'not_yet_valid',
  'issuer_invalid',
  'audience_invalid',
  'token_revoked',
  'token_invalid',
] as const;

/** Why a credential was refused; the reason code reaches the client (401 problem) and the metrics. */
export type AuthReason =
  | (typeof JWT_REASONS)[number]
  | 'credentials_missing'
  | 'session_invalid'
  | 'refresh_invalid'
  | 'refresh_reused'
  | 'refresh_revoked';

export class AuthFailure extends Error {
  constructor(
    readonly reason: AuthReason,
    detail?: string,
  ) {
    super(detail ?? reason);
    this.name = 'AuthFailure';
  }
}
