import type { RolloutSpec } from '../config';
import type { KeyValueStore } from '../store/key-value-store';
import { addEvidence, emptyEvidence, summarize, type Evidence } from './evidence';
import { EVIDENCE_TTL_MS, readEvidence } from './evidence-recorder';
import { judge, judgedSide, legacyP95, type Verdict } from './judge';
import { applyVerdict, type RolloutState } from './rollout-state';
import type { RolloutStore } from './rollout-store';

export const LEASE_KEY = 'figway:rollout-judge';
/**
 * A second's bucket is complete once every instance has flushed it (at the next second's start, src/rollout/
 * evidence-recorder.ts) and its writes have landed: the judge reads only seconds at least this far behind.
 */
const SETTLE_S = 2;
/** The recent stretch a gate is also judged on, so a long step cannot dilute a sudden failure. */
const RECENT_S = 30;
/** Buckets read per round trip while catching up (a judge that took over mid-step). */
const READ_CHUNK = 300;

export interface JudgeDeps {
  store: KeyValueStore;
  states: RolloutStore;
  intervalMs: number;
  /** Names this instance in the lease and in `by` of its decisions. */
  instance: string;
  routes(): string[];
  specOf(route: string): RolloutSpec | undefined;
  /** Why the route is held on legacy by a floor (ROUTE_ALL_TO_LEGACY, its rollback), if it is. */
  floor(route: string): string | undefined;
  /** A verdict was stored: metrics and the log line. */
  decided(route: string, verdict: Verdict, next: RolloutState, logged: boolean): void;
  log: { log(m: unknown): void; warn(m: unknown): void };
}

/**
 * One judge at a time: every instance runs this loop, and the one holding the lease (SET NX PX, renewed each
 * round, three intervals long) evaluates every running rollout from the evidence in the store and stores its
 * verdict by compare-and-swap. If it dies, another takes the lease when it expires and goes on from the stored
 * state. A store that does not answer pauses judging (nothing advances on missing evidence), and the log says so.
 */
export class JudgeLoop {
  private timer?: NodeJS.Timeout;
  private busy = false;
  private holding = false;
  private storeDown = false;
  /**
   * Per route: the recent seconds' evidence of the current step (which `step` names by its start), read by this
   * judge; a new judge starts it empty.
   */
  private readonly recent = new Map<string, { step: number; seconds: { second: number; ev: Evidence }[] }>();

  constructor(private readonly d: JudgeDeps) {}

  get leaseMs(): number {
    return Math.max(2_000, 3 * this.d.intervalMs);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.d.intervalMs).unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    if (this.holding) await this.d.store.releaseLease(LEASE_KEY, this.d.instance).catch(() => undefined);
  }

  /** One round; exported for tests through `tick()` being public. */
  async tick(now = Date.now()): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const held = await this.d.store.holdLease(LEASE_KEY, this.d.instance, this.leaseMs);
      this.storeAnswered();
      if (held !== this.holding)
        this.d.log.log(held ? 'rollout judge: this instance judges' : 'rollout judge: lease lost');
      this.holding = held;
      if (!held) return this.recent.clear();
      for (const route of this.d.routes()) await this.evaluate(route, now);
    } catch (err) {
      if (!this.storeDown)
        this.d.log.warn(`rollout judging paused: the store does not answer (${(err as Error).message})`);
      this.storeDown = true;
    } finally {
      this.busy = false;
    }
  }

  private storeAnswered(): void {
    if (this.storeDown) this.d.log.log('rollout judging resumed: the store answers again');
    this.storeDown = false;
  }

  private async evaluate(route: string, now: number): Promise<void> {
    const spec = this.d.specOf(route);
    const read = await this.d.states.read(route);
    const s = read.state;
    if (!spec || s.state !== 'running' || s.step >= spec.steps.length) return void this.recent.delete(route);
    const upTo = Math.floor(now / 1000) - SETTLE_S;
    const fresh = await this.readSeconds(route, s.cursor, upTo);
    const evidence = addEvidence(structuredClone(s.evidence), fresh.total);
    // The recent stretch this judge has read of this step (named by its start), with the seconds just read.
    const known = this.recent.get(route);
    const recent = [...(known?.step === s.stepStartedAt ? known.seconds : []), ...fresh.seconds].filter(
      (w) => w.second > upTo - RECENT_S,
    );
    const base: RolloutState = {
      ...s,
      evidence,
      cursor: Math.max(s.cursor, upTo),
      legacyP95Ms: legacyP95(evidence, s.legacyP95Ms),
    };
    const floor = this.d.floor(route);
    const verdict: Verdict = floor
      ? {
          decision: 'hold',
          reason: 'floor',
          detail: floor,
          summary: summarize(evidence, judgedSide(spec, s.step), base.legacyP95Ms),
        }
      : judge({
          spec,
          step: s.step,
          elapsedMs: now - s.stepStartedAt,
          evidence,
          recent: recent.reduce((sum, w) => addEvidence(sum, w.ev), emptyEvidence()),
          lastLegacyP95Ms: s.legacyP95Ms,
        });
    const next = applyVerdict(base, spec, verdict, `judge@${this.d.instance}`, now);
    // Lost to an operator's change: nothing read here is kept, the next round reads it again.
    if (!(await this.d.states.replace(read, next))) return;
    this.recent.set(route, { step: s.stepStartedAt, seconds: recent });
    this.d.decided(route, verdict, next, next.decisions.at(-1) !== base.decisions.at(-1));
  }

  /** Sums the buckets (from, to], and returns those of the last RECENT_S seconds one by one. */
  private async readSeconds(route: string, from: number, to: number) {
    const total = emptyEvidence();
    const seconds: { second: number; ev: Evidence }[] = [];
    // Buckets older than their TTL are gone: a judge away that long starts from what is left.
    const start = Math.max(from + 1, to - Math.floor(EVIDENCE_TTL_MS / 1000) + 1);
    for (let first = start; first <= to; first += READ_CHUNK) {
      const chunk = Array.from({ length: Math.min(READ_CHUNK, to - first + 1) }, (_, i) => first + i);
      (await readEvidence(this.d.store, route, chunk)).forEach((ev, i) => {
        addEvidence(total, ev);
        if (chunk[i] > to - RECENT_S) seconds.push({ second: chunk[i], ev });
      });
    }
    return { total, seconds };
  }
}
