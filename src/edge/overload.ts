import { getHeapStatistics } from 'node:v8';

export interface OverloadLimits {
  /** Shed while the event loop runs this late (ms); 0 disables. */
  maxEventLoopLagMs: number;
  /** Shed while the V8 heap is this full (0..1 of its limit); 0 disables. */
  maxHeapRatio: number;
}

export const OVERLOAD_REASONS = ['event_loop_lag', 'heap'] as const;
export type OverloadReason = (typeof OVERLOAD_REASONS)[number];

/**
 * Decides, off the request path, whether the process is past what it can serve well. A timer that should fire
 * every `intervalMs` measures how late it runs (the lag every queued callback also suffers) and samples the heap;
 * requests read one field. Shedding early with 503 + Retry-After keeps latency bounded for the requests that are
 * served and stops the heap from growing into an out-of-memory kill (the behaviour of Envoy's overload manager and
 * @fastify/under-pressure). Recovery needs a calm sample, so the state does not flap within one interval.
 */
export class OverloadMonitor {
  reason: OverloadReason | undefined;
  lagMs = 0;
  private readonly heapLimit = getHeapStatistics().heap_size_limit;
  private timer?: NodeJS.Timeout;
  private expected = 0;

  constructor(
    private readonly limits: OverloadLimits,
    private readonly onChange?: (reason: OverloadReason | undefined) => void,
    private readonly intervalMs = 250,
  ) {}

  get enabled(): boolean {
    return this.limits.maxEventLoopLagMs > 0 || this.limits.maxHeapRatio > 0;
  }

  start(): void {
    if (!this.enabled || this.timer) return;
    this.expected = performance.now() + this.intervalMs;
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private sample(): void {
    const now = performance.now();
    this.lagMs = Math.max(0, now - this.expected);
    this.expected = now + this.intervalMs;
    let reason: OverloadReason | undefined;
    if (this.limits.maxEventLoopLagMs > 0 && this.lagMs > this.limits.maxEventLoopLagMs) reason = 'event_loop_lag';
    else if (this.limits.maxHeapRatio > 0 && process.memoryUsage().heapUsed > this.limits.maxHeapRatio * this.heapLimit)
      reason = 'heap';
    if (reason !== this.reason) {
      this.reason = reason;
      this.onChange?.(reason);
    }
  }
}
