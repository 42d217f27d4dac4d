import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';

/** A change waiting for the operator's yes: what it does, in words, and how to do it. */
export interface Pending {
  title: string;
  body: string;
  confirmLabel: string;
  run: () => Promise<unknown>;
  done: string;
}

export interface Outcome {
  busy: boolean;
  error?: string;
  done?: string;
}

/**
 * Runs changes one at a time and keeps what came of the last one (the API's refusal in words, or what was done).
 * `ask` opens the confirmation first; `now` runs at once (a change that sends nobody to another side).
 */
export function useActions() {
  const [pending, setPending] = useState<Pending | null>(null);
  const [outcome, setOutcome] = useState<Outcome>({ busy: false });
  const now = async (p: Pick<Pending, 'run' | 'done'>) => {
    setOutcome({ busy: true });
    try {
      await p.run();
      setOutcome({ busy: false, done: p.done });
    } catch (err) {
      setOutcome({ busy: false, error: (err as Error).message });
    }
  };
  const answer = (yes: boolean) => {
    const p = pending;
    setPending(null);
    if (yes && p) void now(p);
  };
  return { pending, outcome, ask: setPending, now, answer };
}

/** A modal `<dialog>`: the browser traps focus in it and Escape cancels; Cancel has the focus first. */
export function Confirm({ pending, onAnswer }: { pending: Pending | null; onAnswer: (yes: boolean) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (pending && !d.open) d.showModal();
    if (!pending && d.open) d.close();
  }, [pending]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-body`}
      onCancel={(e) => {
        e.preventDefault();
        onAnswer(false);
      }}
    >
      <h2 id={`${id}-title`}>{pending?.title}</h2>
      <p id={`${id}-body`}>{pending?.body}</p>
      <div class="actions">
        <button type="button" class="secondary" autofocus onClick={() => onAnswer(false)}>
          Cancel
        </button>
        <button type="button" class="danger" onClick={() => onAnswer(true)}>
          {pending?.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

/** What came of the last change: a refusal as an alert (read out at once), a success as a polite status. */
export function OutcomeLine({ outcome }: { outcome: Outcome }) {
  if (outcome.error) {
    return (
      <p class="error" role="alert">
        {outcome.error}
      </p>
    );
  }
  return (
    <p class="status" role="status">
      {outcome.busy ? 'Sending…' : (outcome.done ?? '')}
    </p>
  );
}

export function Section({ title, id, children }: { title: string; id: string; children: ComponentChildren }) {
  return (
    <section aria-labelledby={id} class="card">
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}
