import { useEffect, useState } from 'preact/hooks';
import { setRollback, setWeights } from './api';
import { sourceWords, weightSource } from './format';
import { Quality, Served } from './overview';
import { RolloutPanel } from './rollout-panel';
import { ShadowPanel } from './shadow-panel';
import type { RolloutInfo, RouteInfo, Snapshot } from './types';
import { Confirm, OutcomeLine, Section, useActions } from './ui';

type Weighted = RouteInfo & { weights: NonNullable<RouteInfo['weights']> };

const isWeighted = (r: RouteInfo): r is Weighted => r.weights !== undefined;

/** One route: its weights and rollback to change, its rollout, and what its shadow found. */
export function RoutePage({ snap, id }: { snap: Snapshot; id: string }) {
  const found = snap.routes.find((r) => r.id === id);
  if (!found || !isWeighted(found)) {
    return (
      <>
        <h1 tabIndex={-1}>Route {id}</h1>
        <p>{found ? 'This route targets legacy: it has no side to change.' : 'There is no route with this id.'}</p>
      </>
    );
  }
  const route = found;
  const rollout = snap.rollouts.find((r) => r.route === id);
  return (
    <>
      <h1 tabIndex={-1}>Route {id}</h1>
      <dl class="facts">
        <div>
          <dt>Path</dt>
          <dd>
            <code>{route.path}</code>
          </dd>
        </div>
        <div>
          <dt>Target</dt>
          <dd>
            <code>{route.target}</code>
          </dd>
        </div>
        <div>
          <dt>In force</dt>
          <dd class="in-force">{route.in_force}</dd>
        </div>
        <div>
          <dt>Served (5 min, all instances)</dt>
          <dd class="served">
            <Served route={route} />
          </dd>
        </div>
        <div>
          <dt>Errors · p95</dt>
          <dd class="quality">
            <Quality route={route} />
          </dd>
        </div>
        <div>
          <dt>Breaker</dt>
          <dd>{route.breaker ?? 'no fallback'}</dd>
        </div>
        <div>
          <dt>Shadow</dt>
          <dd>{route.shadow ? `to ${route.shadow.to}` : 'off'}</dd>
        </div>
      </dl>
      <div class="grid two">
        <WeightPanel route={route} snap={snap} rollout={rollout} />
        <RollbackPanel route={route} />
      </div>
      {rollout ? <RolloutPanel rollout={rollout} /> : null}
      <ShadowPanel diffs={snap.shadow.filter((d) => d.route === id)} />
    </>
  );
}

/** Who moves where when the new side's weight goes from `from` to `to` (buckets are sticky: docs/migration.md). */
function moveWords(from: number, to: number): string {
  if (to > from) return `${to - from}% of this route's users (buckets ${from}–${to}) move from legacy to the new side.`;
  return `${from - to}% of this route's users (buckets ${to}–${from}) move from the new side back to legacy.`;
}

function WeightPanel({ route, snap, rollout }: { route: Weighted; snap: Snapshot; rollout?: RolloutInfo }) {
  const actions = useActions();
  const current = route.weights.new;
  // The operator's value until it is in force; the snapshot re-renders every second and must not undo typing.
  const [draft, setDraft] = useState<number | null>(null);
  useEffect(() => {
    if (draft === current) setDraft(null);
  }, [current, draft]);
  const value = draft ?? current;
  const paused = rollout?.state === 'running' ? ' The running rollout pauses (resume lifts this override).' : '';
  const apply = (e: Event) => {
    e.preventDefault();
    if (value === current) return;
    actions.ask({
      title: `Set ${route.id} to ${value}% new?`,
      body: moveWords(current, value) + paused,
      confirmLabel: `Apply ${value}%`,
      run: () => setWeights(route.id, value),
      done: `Weights set: legacy ${100 - value} · new ${value}.`,
    });
  };
  const reset = () =>
    actions.ask({
      title: `Give ${route.id}'s weights back to routes.yaml?`,
      body: 'The admin override is removed: the weights of routes.yaml (or of the rollout) apply again, and users may move.',
      confirmLabel: 'Remove override',
      run: () => setWeights(route.id, null),
      done: 'Override removed.',
    });
  const set = (raw: string) => {
    const n = Math.round(Number(raw));
    if (raw !== '' && Number.isFinite(n)) setDraft(Math.min(100, Math.max(0, n)));
  };
  return (
    <Section title="Weights" id="weights-h">
      <p class="weights-now">
        Now: legacy {route.weights.legacy} · new {current}{' '}
        <span class="hint">({weightSource(route, snap.flags.route_all_to_legacy)})</span>
      </p>
      {route.in_force.startsWith('legacy (') ? (
        <p class="note">
          A floor holds this route on legacy ({route.in_force.slice(8, -1)}); weights apply once it is lifted.
        </p>
      ) : null}
      <form class="weight-form" onSubmit={apply}>
        <label id="weight-label" for="weight-number">
          New side weight (%)
        </label>
        <div class="weight-control">
          <input
            id="weight-range"
            type="range"
            min={0}
            max={100}
            step={1}
            value={value}
            aria-labelledby="weight-label"
            onInput={(e) => set(e.currentTarget.value)}
          />
          <input
            id="weight-number"
            type="number"
            min={0}
            max={100}
            step={1}
            value={value}
            onInput={(e) => set(e.currentTarget.value)}
          />
        </div>
        <p class="hint">Sticky per user: raising the weight keeps the users already on the new side there.</p>
        <div class="actions">
          <button type="submit" disabled={value === current || actions.outcome.busy}>
            Apply
          </button>
          {route.weights.source === 'admin' ? (
            <button type="button" class="secondary" onClick={reset}>
              Back to routes.yaml
            </button>
          ) : null}
        </div>
      </form>
      <OutcomeLine outcome={actions.outcome} />
      <Confirm pending={actions.pending} onAnswer={actions.answer} />
    </Section>
  );
}

function RollbackPanel({ route }: { route: Weighted }) {
  const actions = useActions();
  const rb = route.rollback ?? { value: false, source: 'file' as const };
  const toggle = () =>
    actions.ask(
      rb.value
        ? {
            title: `End the rollback of ${route.id}?`,
            body: 'Its users go back to the sides its weights give them: some move from legacy to the new side.',
            confirmLabel: 'End rollback',
            // routes.yaml's own `rollback: true` is overridden with false; the console's override is removed.
            run: () => setRollback(route.id, rb.source === 'file' ? false : null),
            done: 'Rollback ended.',
          }
        : {
            title: `Roll ${route.id} back to legacy?`,
            body: 'Every request of this route goes to legacy on all instances within a second.',
            confirmLabel: 'Roll back',
            run: () => setRollback(route.id, true),
            done: 'Rolled back: this route goes to legacy.',
          },
    );
  return (
    <Section title="Rollback" id="rollback-h">
      <p class="rollback-now">
        Rollback: <strong>{rb.value ? 'on' : 'off'}</strong> <span class="hint">({sourceWords(rb.source)})</span>
      </p>
      <p class="hint">On: every request of this route goes to legacy, whatever the weights say.</p>
      <button
        type="button"
        id="rollback-toggle"
        class={rb.value ? 'secondary' : 'danger'}
        disabled={actions.outcome.busy}
        onClick={toggle}
      >
        {rb.value ? 'End rollback' : 'Roll back to legacy'}
      </button>
      <OutcomeLine outcome={actions.outcome} />
      <Confirm pending={actions.pending} onAnswer={actions.answer} />
    </Section>
  );
}
