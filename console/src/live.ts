import { useEffect, useState } from 'preact/hooks';
import type { Snapshot } from './types';

export type Connection = 'connecting' | 'live' | 'reconnecting' | 'signed-out';

export interface Live {
  snapshot?: Snapshot;
  connection: Connection;
}

const RETRY_MS = 2_000;

/**
 * The gateway's snapshot stream (`GET /admin/events`, one `snapshot` event a second). EventSource reconnects by
 * itself after a network error; a refused stream (401 when the session expired) closes it for good, so the session
 * is asked whether it still stands: signed out is said in words, anything else is retried.
 */
export function useLive(): Live {
  const [live, setLive] = useState<Live>({ connection: 'connecting' });
  useEffect(() => {
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const open = () => {
      source = new EventSource('/admin/events');
      source.addEventListener('snapshot', (e) => {
        const snapshot = JSON.parse((e as MessageEvent<string>).data) as Snapshot;
        setLive({ snapshot, connection: 'live' });
      });
      source.onerror = () => {
        if (source?.readyState !== EventSource.CLOSED) return setLive((l) => ({ ...l, connection: 'reconnecting' }));
        void signedIn().then((yes) => {
          if (stopped) return;
          if (!yes) return setLive((l) => ({ ...l, connection: 'signed-out' }));
          setLive((l) => ({ ...l, connection: 'reconnecting' }));
          timer = setTimeout(open, RETRY_MS);
        });
      };
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(timer);
      source?.close();
    };
  }, []);
  return live;
}

async function signedIn(): Promise<boolean> {
  try {
    const res = await fetch('/admin/session', { credentials: 'same-origin', cache: 'no-store' });
    return res.ok && ((await res.json()) as { signed_in?: boolean }).signed_in === true;
  } catch {
    return true; // the gateway did not answer: not a sign-out, try the stream again
  }
}

/** The `#/route/<id>` part of the address (hash routing: the gateway serves one page at /admin/). */
export function useHashRoute(): string | undefined {
  const read = () => {
    const m = /^#\/route\/(.+)$/.exec(location.hash);
    return m ? decodeURIComponent(m[1]) : undefined;
  };
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
