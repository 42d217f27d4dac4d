import { ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api';

/**
 * A context manager that carries the active context through synchronous calls only.
 *
 * Why not the SDK's AsyncLocalStorage manager: on Node 20, AsyncLocalStorage works through async_hooks, and once
 * one store is entered every async resource in the process (each promise, nextTick, socket write, timer) pays an
 * init hook, traced or not, sampled or not. Measured on the bench's passthrough path that was about half of what
 * tracing cost per request (Node 24's AsyncContextFrame removes that cost; Node 20 has no such option).
 *
 * Here the gateway hands the request's context on explicitly where the work crosses an await (the forwarder reads
 * it from the request, see request-trace.ts; call sites that talk to Redis or an LLM enter it around the call, so
 * the instrumentation, which reads the active context when the command is issued, sees it). Work that starts
 * after an await outside such a call sees ROOT: its spans are left out (the instrumentations require a parent),
 * never attached to the wrong request.
 */
export class SyncContextManager implements ContextManager {
  private current: Context = ROOT_CONTEXT;

  active(): Context {
    return this.current;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    const previous = this.current;
    this.current = context;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.current = previous;
    }
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const manager = this;
    const fn = target as unknown as (...args: unknown[]) => unknown;
    return function (this: unknown, ...args: unknown[]) {
      return manager.with(context, fn, this, ...args);
    } as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.current = ROOT_CONTEXT;
    return this;
  }
}
