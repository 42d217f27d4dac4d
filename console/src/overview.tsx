import { setFlag } from './api';
import { flagSource, within, ms, percent, progressOf, weightSource, type Progress } from './format';
import type { Flags, RolloutInfo, RouteInfo, Snapshot } from './types';
import { Confirm, OutcomeLine, Section, useActions } from './ui';

const PROGRESS: Progress[] = ['legacy', 'split', 'new', 'complete'];

/** Every route, the global flags, the instances seen and how far the migration has come; live from the stream. */
export function Overview({ snap }: { snap: Snapshot }) {
  const rollouts = new Map(snap.rollouts.map((r) => [r.route, r]));
  return (
    <>
      <h1 tabIndex={-1}>Migration overview</h1>
      <div class="grid">
        <ProgressSummary snap={snap} rollouts={rollouts} />
        <FlagsPanel flags={snap.flags} />
        <Instances snap={snap} />
      </div>
      <Section title="Routes" id="routes-h">
        <RoutesTable snap={snap} rollouts={rollouts} />
      </Section>
    </>
  );
}

function ProgressSummary({ snap, rollouts }: { snap: Snapshot; rollouts: Map<string, RolloutInfo> }) {
  const counts: Record<Progress, number> = { legacy: 0, split: 0, new: 0, complete: 0 };
  for (const r of snap.routes) counts[progressOf(r, rollouts.get(r.id)?.state === 'complete')]++;
  const moving = snap.routes.filter((r) => r.weights).length;
  return (
    <Section title="Migration progress" id="progress-h">
      <ul class="progress">
        {PROGRESS.map((p) => (
          <li key={p} class={`badge ${p}`} data-progress={p}>
            <strong>{counts[p]}</strong> {p}
          </li>
        ))}
      </ul>
      <p class="hint">
        {counts.new + counts.complete} of {snap.routes.length} routes answered by the new side alone; {moving} can
        change side.
      </p>
    </Section>
  );
}

function FlagsPanel({ flags }: { flags: Flags }) {
  const actions = useActions();
  const all = flags.route_all_to_legacy;
  const toggle = () =>
    actions.ask(
      all.value
        ? {
            title: 'Switch off route_all_to_legacy?',
            body: 'Routes whose target is the new side go back to their weights: their users move from legacy to the new side.',
            confirmLabel: 'Switch off',
            // Off is "back to the environment" when the console set it; false otherwise, which a floor refuses.
            run: () => setFlag(all.source === 'admin' ? null : false),
            done: 'route_all_to_legacy switched off.',
          }
        : {
            title: 'Send every route to legacy?',
            body: 'Every route whose target is the new side is answered by legacy on all instances within a second.',
            confirmLabel: 'Send all to legacy',
            run: () => setFlag(true),
            done: 'route_all_to_legacy is on: every route goes to legacy.',
          },
    );
  return (
    <Section title="Global flags" id="flags-h">
      <table class="flags">
        <thead>
          <tr>
            <th scope="col">Flag</th>
            <th scope="col">Value</th>
            <th scope="col">Source</th>
          </tr>
        </thead>
        <tbody>
          {(['route_all_to_legacy', 'cache_enabled'] as const).map((name) => (
            <tr key={name} data-flag={name}>
              <th scope="row">
                <code>{name}</code>
              </th>
              <td class="value">{flags[name].value ? 'on' : 'off'}</td>
              <td class={`source ${flags[name].source}`}>{flagSource(name, flags[name])}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" class={all.value ? 'secondary' : 'danger'} id="toggle-all-to-legacy" onClick={toggle}>
        {all.value ? 'Switch off route_all_to_legacy' : 'Send every route to legacy'}
      </button>
      <OutcomeLine outcome={actions.outcome} />
      <Confirm pending={actions.pending} onAnswer={actions.answer} />
    </Section>
  );
}

function Instances({ snap }: { snap: Snapshot }) {
  return (
    <Section title={`Instances (${snap.instances.length})`} id="instances-h">
      {snap.instances.length ? null : (
        <p class="hint">None seen in the last minute yet: each instance announces itself every 10 s.</p>
      )}
      <ul class="instances">
        {snap.instances.map((i) => (
          <li key={i.id} data-instance={i.id}>
            <code>{i.id}</code> <span class="hint">seen within the last {within(i.seen_at, snap.at)}</span>
            {i.id === snap.instance ? <span class="tag">this console</span> : null}
          </li>
        ))}
      </ul>
    </Section>
  );
}

function RoutesTable({ snap, rollouts }: { snap: Snapshot; rollouts: Map<string, RolloutInfo> }) {
  return (
    <div class="scroll">
      <table class="routes">
        <caption class="hint">Served: requests per side across all instances over the last 5 minutes.</caption>
        <thead>
          <tr>
            {['Route', 'Target', 'In force', 'Weights', 'Served (5 min)', 'Errors · p95', 'Breaker', 'Rollout'].map(
              (h) => (
                <th scope="col" key={h}>
                  {h}
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>
          {snap.routes.map((r) => (
            <RouteRow key={r.id} route={r} snap={snap} rollout={rollouts.get(r.id)} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RouteRow({ route: r, snap, rollout }: { route: RouteInfo; snap: Snapshot; rollout?: RolloutInfo }) {
  const progress = progressOf(r, rollout?.state === 'complete');
  return (
    <tr data-route={r.id}>
      <th scope="row">
        {r.weights ? <a href={`#/route/${encodeURIComponent(r.id)}`}>{r.id}</a> : r.id}
        <div>
          <code>{r.path}</code>
        </div>
      </th>
      <td class="target">
        <code>{r.target}</code>
      </td>
      <td class="in-force">
        <span class={`badge ${progress}`}>{r.in_force}</span>
      </td>
      <td class="weights">
        {r.weights ? `legacy ${r.weights.legacy} · new ${r.weights.new}` : '—'}
        <div class="hint">{weightSource(r, snap.flags.route_all_to_legacy)}</div>
      </td>
      <td class="served">
        <Served route={r} />
      </td>
      <td class="quality">
        <Quality route={r} />
      </td>
      <td class="breaker">{r.breaker ?? '—'}</td>
      <td class="rollout">{rollout ? <RolloutCell rollout={rollout} /> : '—'}</td>
    </tr>
  );
}

export function Served({ route }: { route: RouteInfo }) {
  const c = route.served_cluster;
  if (!route.weights) return <>—</>;
  if (!c) return <span class="hint">store not answering</span>;
  if (!c.total) return <span class="hint">no requests</span>;
  return (
    <>
      <div class="side-legacy">
        legacy {c.legacy} ({percent(c.share.legacy)})
      </div>
      <div class="side-new">
        new {c.new} ({percent(c.share.new)})
      </div>
      {c.fallback ? (
        <div class="side-fallback">
          fallback {c.fallback} ({percent(c.share.fallback)})
        </div>
      ) : null}
      <meter min={0} max={1} value={c.share.new} aria-label={`share served by the new side: ${percent(c.share.new)}`} />
    </>
  );
}

export function Quality({ route }: { route: RouteInfo }) {
  const q = route.served_cluster?.quality;
  if (!route.weights || !q) return <>—</>;
  return (
    <>
      <div>
        legacy {percent(q.legacy.error_rate, 2)} · {ms(q.legacy.p95_ms)}
      </div>
      <div>
        new {percent(q.new.error_rate, 2)} · {ms(q.new.p95_ms)}
      </div>
    </>
  );
}

function RolloutCell({ rollout: r }: { rollout: RolloutInfo }) {
  return (
    <>
      <span class={`state ${r.state}`}>{r.state.replace('_', ' ')}</span>
      {r.step !== null ? (
        <div class="hint">
          step {r.step + 1}/{r.steps.length} · {r.weight}%
        </div>
      ) : null}
    </>
  );
}
