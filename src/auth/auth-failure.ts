/** Why a credential was refused; the reason code reaches the client (401 problem) and the metrics. */
export type AuthReason =
  | 'credentials_missing'
  | 'token_too_large'
  | 'token_malformed'
  | 'alg_not_allowed'
  | 'key_unknown'
  | 'signature_invalid'
  | 'exp_missing'
  | 'token_expired'
  | 'not_yet_valid'
  | 'issuer_invalid'
  | 'audience_invalid'
  | 'token_revoked'
  | 'token_invalid'
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
