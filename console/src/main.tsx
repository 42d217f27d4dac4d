import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { act } from './api';
import { clock } from './format';
import { useHashRoute, useLive, type Connection } from './live';
import { Overview } from './overview';
import { RoutePage } from './route-page';

const CONNECTION_WORDS: Record<Connection, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Connection lost: reconnecting…',
  'signed-out': 'Signed out',
};

function App() {
  const live = useLive();
  const routeId = useHashRoute();
  const snap = live.snapshot;
  // A new page: say so in the title and put the focus on its heading, as a page load would.
  useEffect(() => {
    document.title = routeId ? `${routeId} · Figway console` : 'Migration overview · Figway console';
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [routeId, snap === undefined]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <p class="brand">Figway console</p>
        <nav aria-label="Pages">
          <a href="#/" aria-current={routeId ? undefined : 'page'}>
            Overview
          </a>
        </nav>
        {/* Only the connection's state is a live region: the clock beside it changes every second. */}
        <p class={`connection ${live.connection}`} role="status">
          {CONNECTION_WORDS[live.connection]}
        </p>
        {snap ? (
          <p class="hint">
            from <code>{snap.instance}</code> at <time dateTime={snap.at}>{clock(snap.at)}</time>
          </p>
        ) : null}
        <button type="button" class="secondary" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main id="main">
        {live.connection === 'signed-out' ? (
          <p class="error" role="alert">
            Your session has ended. <a href="/admin/">Sign in again</a>.
          </p>
        ) : null}
        {snap?.unavailable?.length ? (
          <p class="note" role="status">
            The store (Redis) did not answer for: {snap.unavailable.join(', ')}. They are shown empty until it does.
          </p>
        ) : null}
        {!snap ? (
          <p>Waiting for the gateway’s first snapshot…</p>
        ) : routeId ? (
          <RoutePage snap={snap} id={routeId} />
        ) : (
          <Overview snap={snap} />
        )}
      </main>
    </>
  );
}

async function signOut(): Promise<void> {
  await act('DELETE', '/admin/session').catch(() => undefined);
  location.assign('/admin/');
}

render(<App />, document.getElementById('app')!);
