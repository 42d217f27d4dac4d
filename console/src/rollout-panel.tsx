import { rolloutAction, type RolloutAction } from './api';
import { clock, ms, percent } from './format';
import type { Decision, EvidenceSummary, RolloutInfo, RolloutStateName } from './types';
import { Confirm, OutcomeLine, Section, useActions, type Pending } from './ui';

/** Which actions the gateway takes from which state (src/rollout/rollout-state.ts applyAction); others are 409. */
const ALLOWED: Record<RolloutAction, RolloutStateName[]> = {
  start: ['idle', 'paused', 'rolled_back', 'complete'],
  pause: ['running'],
  resume: ['paused'],
  promote: ['running', 'paused'],
  abort: ['running', 'paused', 'complete'],
};

/** What each action does to users, for the confirmation; pause moves nobody and runs at once. */
const EFFECT: Record<RolloutAction, string> = {
  start: 'The rollout starts again from its first step: the new side gets that step’s weight on every instance.',
  pause: '',
  resume: 'The rollout goes on from its current step, which begins again, with that step’s weight.',
  promote: 'The next step’s weight is put in force now, without waiting for the judge.',
  abort: 'The new side’s weight goes to 0: every user of this route goes back to legacy. The rollout stays paused.',
};

export function RolloutPanel({ rollout: r }: { rollout: RolloutInfo }) {
  const actions = useActions();
  const press = (action: RolloutAction) => {
    const p: Pending = {
      title: `${action[0].toUpperCase()}${action.slice(1)} the rollout of ${r.route}?`,
      body: EFFECT[action],
      confirmLabel: action[0].toUpperCase() + action.slice(1),
      run: () => rolloutAction(r.route, action),
      done: `${action}: done.`,
    };
    if (action === 'pause') void actions.now(p);
    else actions.ask(p);
  };
  return (
    <Section title="Rollout" id="rollout-h">
      <p class="rollout-state">
        State: <strong class={`state ${r.state}`}>{r.state.replace('_', ' ')}</strong>
        {r.weight !== null ? ` · weight ${r.weight}%` : ''}
        {r.reason ? ` · ${r.reason}` : ''}
      </p>
      {r.legacy_retirable ? <p class="ok">Complete: legacy’s path for this route can be retired.</p> : null}
      <Steps rollout={r} />
      <div class="actions" role="group" aria-label="Rollout actions">
        {(Object.keys(ALLOWED) as RolloutAction[]).map((a) => (
          <button
            type="button"
            key={a}
            class={a === 'abort' ? 'danger' : 'secondary'}
            disabled={!ALLOWED[a].includes(r.state) || actions.outcome.busy}
            onClick={() => press(a)}
          >
            {a[0].toUpperCase() + a.slice(1)}
          </button>
        ))}
      </div>
      <OutcomeLine outcome={actions.outcome} />
      <Confirm pending={actions.pending} onAnswer={actions.answer} />
      {r.evidence ? <Evidence ev={r.evidence} rollout={r} /> : null}
      <Timeline decisions={r.decisions} />
    </Section>
  );
}

function Steps({ rollout: r }: { rollout: RolloutInfo }) {
  return (
    <ol class="steps" aria-label="Steps (new side weight)">
      {r.steps.map((w, i) => {
        const current = r.step === i && r.state !== 'idle';
        const done = r.step !== null && (i < r.step || r.state === 'complete');
        return (
          <li key={i} class={current ? 'current' : done ? 'done' : ''} aria-current={current ? 'step' : undefined}>
            {w}%{w === 0 ? ' (shadow)' : ''}
            {current ? <span class="visually-hidden"> (current step)</span> : null}
          </li>
        );
      })}
    </ol>
  );
}

function Evidence({ ev, rollout: r }: { ev: EvidenceSummary; rollout: RolloutInfo }) {
  const gate = (name: string) => (r.gates[name] !== undefined ? ` (gate ${r.gates[name]})` : '');
  const rows: [string, string][] = [
    ['Judged requests', `${ev.requests} of at least ${r.min_requests}`],
    ['Errors', `${ev.errors} · ${percent(ev.error_rate, 2)}${gate('max_error_rate')}`],
    ['p95 new · legacy', `${ms(ev.p95_ms)} · ${ms(ev.legacy_p95_ms)}${gate('max_latency_ratio')}`],
    [
      'Shadow compared',
      `${ev.compared}, ${ev.diff} differing${ev.diff_rate === null ? '' : ` (${percent(ev.diff_rate, 2)})`}${gate('max_diff_rate')}`,
    ],
    ['Step began', r.step_started_at ? `${clock(r.step_started_at)} (at least ${r.step_interval_s} s per step)` : '—'],
  ];
  return (
    <>
      <h3>Evidence of this step</h3>
      <dl class="evidence">
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </>
  );
}

function Timeline({ decisions }: { decisions: Decision[] }) {
  return (
    <>
      <h3>Decisions (newest first)</h3>
      {decisions.length ? (
        <ol class="timeline">
          {decisions.map((d, i) => (
            <li key={`${d.at}-${i}`}>
              <time dateTime={d.at} title={d.at}>
                {clock(d.at)}
              </time>{' '}
              <strong>{d.decision}</strong> by <span class="by">{d.by}</span> at step {d.step + 1} ({d.weight}%)
              {d.gate ? ` · gate ${d.gate}` : ''}
              {d.detail ? ` · ${d.detail}` : ''}
            </li>
          ))}
        </ol>
      ) : (
        <p class="hint">No decision yet.</p>
      )}
    </>
  );
}
