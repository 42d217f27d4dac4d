import { diffRows, type DiffRow, type RowKind } from './diff-rows';
import { clock } from './format';
import type { ShadowDiff } from './types';
import { Section } from './ui';

const SHOWN = 10;

/** The route's recent shadow differences (this instance's ring: the last 50 across routes), newest first. */
export function ShadowPanel({ diffs }: { diffs: ShadowDiff[] }) {
  return (
    <Section title={`Shadow differences (${diffs.length})`} id="shadow-h">
      {diffs.length ? (
        diffs
          .slice(0, SHOWN)
          .map((d, i) => <ShadowEntry key={`${d.at} ${d.method} ${d.path}`} diff={d} open={i === 0} />)
      ) : (
        <p class="hint">No difference recorded on this instance (it keeps the last 50, across routes).</p>
      )}
    </Section>
  );
}

function ShadowEntry({ diff: d, open }: { diff: ShadowDiff; open: boolean }) {
  const n = d.differences.length;
  return (
    <details class="shadow-diff" open={open}>
      <summary>
        <code>
          {d.method} {d.path}
        </code>{' '}
        at <time dateTime={d.at}>{clock(d.at)}</time> · {n} difference{n === 1 ? '' : 's'}
      </summary>
      <p>
        Primary: {d.primary.side}, status {d.primary.status} · shadow: {d.shadow.side}, status {d.shadow.status}
        {d.primary.status !== d.shadow.status ? <strong class="k-changed"> (status differs)</strong> : null}
      </p>
      {n ? <Differences diff={d} /> : null}
      <Headers diff={d} />
      <BodyDiff diff={d} />
    </details>
  );
}

function Differences({ diff: d }: { diff: ShadowDiff }) {
  return (
    <table class="differences">
      <caption>Differences the gateway counted (ignored and noise fields left out)</caption>
      <thead>
        <tr>
          <th scope="col">Path</th>
          <th scope="col">Primary</th>
          <th scope="col">Shadow</th>
        </tr>
      </thead>
      <tbody>
        {d.differences.map((x) => (
          <tr key={x.path}>
            <th scope="row">
              <code>{x.path}</code>
            </th>
            <td>
              <code>{JSON.stringify(x.primary) ?? '(absent)'}</code>
            </td>
            <td>
              <code>{JSON.stringify(x.shadow) ?? '(absent)'}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The compared headers; redacted values (`[redacted]`) are shown as the gateway kept them. */
function Headers({ diff: d }: { diff: ShadowDiff }) {
  const names = [...new Set([...Object.keys(d.primary.headers), ...Object.keys(d.shadow.headers)])].sort();
  if (!names.length) return null;
  const text = (v: unknown) => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
  return (
    <table class="headers">
      <caption>Headers</caption>
      <thead>
        <tr>
          <th scope="col">Header</th>
          <th scope="col">Primary</th>
          <th scope="col">Shadow</th>
        </tr>
      </thead>
      <tbody>
        {names.map((h) => {
          const [p, s] = [text(d.primary.headers[h]), text(d.shadow.headers[h])];
          return (
            <tr key={h} class={p === s ? '' : 'k-changed'}>
              <th scope="row">
                <code>{h}</code>
              </th>
              <td>{p}</td>
              <td>{s}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function parse(body: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    return { ok: false };
  }
}

const KIND_WORDS: Record<RowKind, string> = {
  same: '',
  changed: 'changed',
  added: 'added',
  removed: 'removed',
  ignored: 'ignored',
  noise: 'noise',
};

function BodyDiff({ diff: d }: { diff: ShadowDiff }) {
  const [p, s] = [parse(d.primary.body), parse(d.shadow.body)];
  if (!p.ok || !s.ok) {
    return (
      <div class="raw-bodies">
        <p class="hint">Not JSON (or cut at 2 KiB): the bodies as text.</p>
        <pre aria-label="Primary body">{d.primary.body}</pre>
        <pre aria-label="Shadow body">{d.shadow.body}</pre>
      </div>
    );
  }
  const rows = diffRows(p.value, s.value, d.ignored, d.noise);
  return (
    <table class="body-diff">
      <caption>
        Bodies side by side:{' '}
        {(['changed', 'added', 'removed', 'ignored', 'noise'] as const).map((k) => (
          <span key={k} class={`legend k-${k}`}>
            {k}
          </span>
        ))}
      </caption>
      <thead>
        <tr>
          <th scope="col">Primary ({d.primary.side})</th>
          <th scope="col">Shadow ({d.shadow.side})</th>
          <th scope="col">
            <span class="visually-hidden">Found</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <BodyRow key={i} row={r} />
        ))}
      </tbody>
    </table>
  );
}

function BodyRow({ row: r }: { row: DiffRow }) {
  const indent = '  '.repeat(r.depth);
  return (
    <tr class={`k-${r.kind}`} data-path={r.path} data-kind={r.kind}>
      <td class={r.left === null ? 'json empty' : 'json'}>{r.left === null ? '' : indent + r.left}</td>
      <td class={r.right === null ? 'json empty' : 'json'}>{r.right === null ? '' : indent + r.right}</td>
      <td class="kind">{KIND_WORDS[r.kind]}</td>
    </tr>
  );
}
