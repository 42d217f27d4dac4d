export interface BreakerOptions {
  failures: number;
  cooldownMs: number;
}

/**
 * A circuit breaker for one new-side target, in this process only (instances do not share it: each one learns
 * of a failing target from its own traffic, within `failures` requests).
 * closed: traffic flows; `failures` consecutive failures open it. open: `allow()` says no until the cooldown is
 * over; then one request is let through as the probe (half-open). The probe's success closes it, its failure
 * opens it for another cooldown.
 */
export class CircuitBreaker {
  private consecutive = 0;
  private openedAt = 0;
  private probing = false;
  state: 'closed' | 'open' | 'half-open' = 'closed';

  constructor(
    public options: BreakerOptions,
    private readonly onChange: (open: boolean) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  /** True when a request may go to the new side now. A true in half-open makes this request the probe. */
  allow(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open' && this.now() - this.openedAt >= this.options.cooldownMs) {
      this.state = 'half-open';
      this.probing = false;
    }
    if (this.state === 'half-open' && !this.probing) {
      this.probing = true;
      return true;
    }
    return false;
  }

  /** The request let through never got an answer (its client left): let another one probe. */
  abandon(): void {
    if (this.state === 'half-open') this.probing = false;
  }

  success(): void {
    this.consecutive = 0;
    if (this.state !== 'closed') {
      this.state = 'closed';
      this.probing = false;
      this.onChange(false);
    }
  }

  failure(): void {
    this.consecutive++;
    if (this.state === 'half-open' || (this.state === 'closed' && this.consecutive >= this.options.failures)) {
      const wasClosed = this.state === 'closed';
      this.state = 'open';
      this.openedAt = this.now();
      this.probing = false;
      if (wasClosed) this.onChange(true);
    }
  }
}
