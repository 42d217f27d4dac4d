import CachePolicy from 'http-cache-semantics';

/**
 * The policy of a stored entry, whose served head (`responseHeaders`: the stored fields, hop-by-hop ones removed,
 * with Age and Date brought up to now) is built once per second of the clock rather than on every hit: Date has a
 * one-second resolution (RFC 9110 5.6.7) and Age is an estimate in whole seconds (RFC 9111 5.1). Freshness itself
 * is still judged at each request's own time. The head is shared by the hits of one second: it is only read.
 * `revalidatedPolicy` builds its result with `this.constructor`, so a revalidated entry keeps this behaviour.
 */
export class StoredPolicy extends CachePolicy {
  private served?: { second: number; headers: CachePolicy.Headers };

  /** The clock the library judges by (its own `now()` reads Date.now too; its type definitions omit it). */
  now(): number {
    return Date.now();
  }

  override responseHeaders(): CachePolicy.Headers {
    const second = Math.floor(this.now() / 1000);
    if (this.served?.second !== second) this.served = { second, headers: super.responseHeaders() };
    return this.served.headers;
  }
}
