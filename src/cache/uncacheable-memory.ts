/** Keys remembered per generation; two generations are kept, so at most twice this many entries. */
export const MEMORY_MAX_KEYS = 10_000;
/** Distinct keys of one route answering uncacheable in a row (no cacheable answer between) before the route is. */
export const ROUTE_AFTER_KEYS = 8;

interface RouteState {
  /** Keys of this route looked up and answered uncacheable since the route's last cacheable answer. */
  misses: number;
  /** The whole route skips lookups until then. */
  until: number;
  /** A cacheable answer was seen on the route: it is mixed, so it is never skipped as a whole until then. */
  mixedUntil: number;
}

/**
 * What this instance recently saw answer uncacheable, so a GET for it skips the store lookup: with Redis that
 * lookup is a round trip per request that can only miss (most legacy answers state no lifetime at all). A key is
 * remembered for `ttlMs` after a looked-up answer was not storable; a route, once ROUTE_AFTER_KEYS of its keys
 * were, unless one of its answers was storable within `ttlMs`. Skipping a lookup never serves a wrong answer: the
 * request goes upstream and its answer is still judged, and a storable one is stored at once and ends the memory
 * for its key and route. What it can cost is a miss instead of a hit: an entry another instance stored meanwhile
 * is not read here until the memory expires. Memory is bounded: two generations of at most MEMORY_MAX_KEYS keys
 * (the older one is dropped when the newer fills), and one small record per route of the route table.
 */
export class UncacheableMemory {
  private current = new Map<string, number>();
  private previous = new Map<string, number>();
  private readonly routes = new Map<string, RouteState>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxKeys = MEMORY_MAX_KEYS,
  ) {}

  /** True when a lookup for this key can be skipped: it, or its whole route, answered uncacheable lately. */
  skips(routeId: string, key: string, now: number): boolean {
    const route = this.routes.get(routeId);
    if (route !== undefined && route.until > now) return true;
    const until = this.current.get(key) ?? this.previous.get(key);
    return until !== undefined && until > now;
  }

  /** A looked-up key answered with something the cache may not store. */
  uncacheable(routeId: string, key: string, now: number): void {
    // Concurrent lookups of one key all miss before its first answer is in: the route counts the key once.
    const known = (this.current.get(key) ?? this.previous.get(key) ?? 0) > now;
    if (this.current.size >= this.maxKeys) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, now + this.ttlMs);
    const route = this.route(routeId);
    if (known || route.mixedUntil > now) return;
    if (++route.misses >= ROUTE_AFTER_KEYS) {
      route.until = now + this.ttlMs;
      route.misses = 0;
    }
  }

  /** An answer for the key was storable: look it (and its route) up again. */
  cacheable(routeId: string, key: string, now: number): void {
    this.current.delete(key);
    this.previous.delete(key);
    const route = this.route(routeId);
    route.until = 0;
    route.misses = 0;
    route.mixedUntil = now + this.ttlMs;
  }

  private route(routeId: string): RouteState {
    let r = this.routes.get(routeId);
    if (r === undefined) {
      r = { misses: 0, until: 0, mixedUntil: 0 };
      this.routes.set(routeId, r);
    }
    return r;
  }
}
