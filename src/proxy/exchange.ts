import type { OutgoingHttpHeaders } from 'node:http';
import type { Context } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Dispatcher } from 'undici';
import { closeAfter } from '../edge/closing-connections';
import { toProblem } from '../errors/problem';
import { splitTarget, type CompiledRoute } from '../routing';
import { traceContextOf } from '../telemetry/request-trace';
import { traceUpstream, traceUpstreamSpan, type UpstreamTracer } from '../telemetry/upstream-trace';
import { BodyTooLarge, declaredTooLarge, limitBody } from './body-limit';
import type { Exchange, ForwarderOptions } from './forwarder';
import { writeRawProblem } from '../errors/problem-writer';
import { buildUpstreamHeaders, clientHost } from './request-headers';
import { buildClientHeaders, storedClientHeaders } from './response-headers';
import {
  compileTransforms,
  headFacts,
  type CompiledTransforms,
  type HeadEdit,
  type RelayHead,
  type StoredHead,
} from './response-transforms';
import { retryChoice, spend, type RetriesSpent } from './retry-policy';
import { classifyUpstreamError, upstreamGatewayError } from './upstream-errors';
import { UpstreamResponse, type AttemptListener, type BodyTap } from './upstream-response';
import type { Upstream, UpstreamSet } from './upstream-set';

const NO_BODY_STATUS = new Set([204, 304]);
const CLIENT_GONE = new Error('client went away');

/** What every exchange of one forwarder shares, fixed when the route is registered. */
export interface ForwardPlan {
  readonly route: CompiledRoute;
  readonly set: UpstreamSet;
  readonly opts: ForwarderOptions;
  readonly transforms: CompiledTransforms | undefined;
  /** The upstream head is scanned (content type, coding, Vary): transforms read it, or event streams are counted. */
  readonly facts: boolean;
  readonly traceCall: UpstreamTracer;
}

export function forwardPlan(route: CompiledRoute, set: UpstreamSet, opts: ForwarderOptions): ForwardPlan {
  const transforms = compileTransforms(opts.transforms ?? []);
  return {
    route,
    set,
    opts,
    transforms,
    facts: (transforms !== undefined && transforms.relay.length > 0) || opts.streams !== undefined,
    traceCall: opts.upstreamSpans ? traceUpstreamSpan : traceUpstream,
  };
}

export function hasBody(request: FastifyRequest): boolean {
  const headers = request.headers;
  const cl = headers['content-length'];
  if (cl !== undefined) return cl !== '0';
  // HTTP/2 frames a body without Content-Length or chunking: a HEADERS frame with END_STREAM means none follows.
  if (request.raw.httpVersionMajor === 2)
    return !(request.raw as unknown as { stream: { endAfterHeaders: boolean } }).stream.endAfterHeaders;
  return headers['transfer-encoding'] !== undefined;
}

const now = () => process.hrtime.bigint();

/**
 * One client request on its way through a proxied route, and the only writer of its response: relays an upstream
 * head and body, answers from the cache, or fails with a problem, then reports the outcome once (onDone) when the
 * client's response closes. A class rather than closures per request: its methods are shared by all requests.
 */
export class ClientExchange implements Exchange {
  readonly route: CompiledRoute;
  readonly nonce: string | undefined;
  /** The route whose rewrite, timeout and label apply now (another one after `reroute`). */
  served: CompiledRoute;
  pool: UpstreamSet;
  gone = false;
  private readonly path: string;
  private readonly query: string;
  private upstreamPath: string;
  readonly method: string;
  readonly withBody: boolean;
  private readonly startedAt = now();
  /** When the response head went out (relayed, from the cache, or a problem): time to first byte. */
  private headAt: bigint | undefined = undefined;
  private inFlight: UpstreamResponse | undefined = undefined;
  // Undefined when tracing is off: then nothing touches trace headers (a client's pass untouched).
  private readonly traceContext: Context | undefined;

  constructor(
    readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
    readonly plan: ForwardPlan,
  ) {
    const req = request.raw;
    [this.path, this.query] = splitTarget(req.url ?? '/');
    this.route = this.served = plan.route;
    this.pool = plan.set;
    this.upstreamPath = plan.route.rewrite(this.path) + this.query;
    this.method = req.method ?? 'GET';
    this.withBody = hasBody(request);
    this.traceContext = traceContextOf(request);
    // Made before anything is known of the answer: it goes upstream with the request.
    this.nonce = plan.transforms?.nonce?.();
    reply.raw.once('close', this.closed);
  }

  private readonly closed = () => {
    const res = this.reply.raw;
    if (!res.writableFinished) {
      this.gone = true;
      this.inFlight?.abort(CLIENT_GONE);
    }
    // A client that left before the head was written still counts, as 499 (nginx's convention).
    const firstByte = this.headAt === undefined ? undefined : Number(this.headAt - this.startedAt) / 1e9;
    const seconds = Number(now() - this.startedAt) / 1e9;
    const status = res.headersSent ? res.statusCode : 499;
    this.plan.opts.onDone?.(this.served, this.method, status, seconds, this.reply, firstByte);
  };

  clientGone(): boolean {
    return this.gone;
  }

  /** A declared body over the route's limit is refused at once (413), before anything goes upstream. */
  refusedForSize(): boolean {
    const limit = this.plan.route.bodyLimit;
    const request = this.request;
    if (limit === undefined || !declaredTooLarge(request.headers['content-length'], limit)) return false;
    // The unread body is not worth draining: close once the answer is out (nginx does the same for 413).
    if (request.raw.httpVersionMajor === 1) this.reply.header('connection', 'close');
    closeAfter(request);
    writeRawProblem(this.reply.raw, toProblem(new BodyTooLarge(limit), request.id), this.answerHead(this.own()));
    this.headAt = now();
    return true;
  }

  /** The plain way through: one call, its answer relayed, or a problem. */
  async relayCall(): Promise<void> {
    let up;
    try {
      up = await this.call();
    } catch (err) {
      return this.fail(err);
    }
    this.relay(up);
  }

  call(o: CallOptions = {}): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      if (this.gone && !o.detached) return reject(CLIENT_GONE);
      this.dispatch(new UpstreamAttempts(this, o, resolve, reject), this.pool.pick(undefined, this.withBody));
    });
  }

  /** One attempt of `call` at `upstream`. */
  dispatch(call: UpstreamAttempts, upstream: Upstream): void {
    call.upstream = upstream;
    const { request, served, plan } = this;
    const req = request.raw;
    const host = served.preserveHost ? (clientHost(request) ?? upstream.host) : upstream.host;
    const identity = request.figwayUser;
    const ctx = { requestId: request.id, host, identity, cspNonce: this.nonce };
    const headers = buildUpstreamHeaders(req, plan.opts.trust, ctx);
    if (call.o.headers) Object.assign(headers, call.o.headers);
    const response = new UpstreamResponse(call);
    if (!call.o.detached) this.inFlight = response;
    // The instance's path prefix (LEGACY_URL=http://host/legacy), joined here: instances of a set may differ.
    const path = upstream.prefix + this.upstreamPath;
    const method = this.method;
    const handler = this.traceContext
      ? plan.traceCall(this.traceContext, response, { method, origin: upstream.origin, path }, headers)
      : response;
    const limit = plan.route.bodyLimit;
    const declared = request.headers['content-length'] !== undefined;
    const body = this.withBody ? (limit === undefined || declared ? req : limitBody(req, limit)) : null;
    const httpMethod = method as Dispatcher.HttpMethod;
    const bodyTimeout = plan.opts.idleTimeoutMs;
    upstream.pool.dispatch(
      { path, method: httpMethod, headers, body, headersTimeout: served.timeoutMs, bodyTimeout },
      handler,
    );
  }

  fail(err: unknown): void {
    if (this.gone) return;
    const cause = (err as { cause?: unknown })?.cause;
    const tooLarge = err instanceof BodyTooLarge ? err : cause instanceof BodyTooLarge ? cause : undefined;
    if (tooLarge && this.request.raw.httpVersionMajor === 1) {
      this.reply.header('connection', 'close');
      closeAfter(this.request);
    }
    const problem = toProblem(tooLarge ?? upstreamGatewayError(classifyUpstreamError(err), err), this.request.id);
    writeRawProblem(this.reply.raw, problem, this.answerHead(this.own()));
    this.headAt ??= now();
  }

  relay(up: UpstreamResponse, extra?: OutgoingHttpHeaders, tap?: BodyTap): void {
    const res = this.reply.raw;
    const bodiless = this.method === 'HEAD' || NO_BODY_STATUS.has(up.statusCode);
    let head: RelayHead | undefined;
    let stream = false;
    try {
      // own() is a fresh object (Fastify copies the reply's fields), so it takes `extra` in place.
      const own = extra ? Object.assign(this.own(), extra) : this.own();
      if (this.plan.facts) {
        const facts = headFacts(up.rawHeaders);
        stream = facts.stream;
        head = this.relayHead(own, facts, bodiless);
      }
      res.writeHead(up.statusCode, up.statusText || undefined, buildClientHeaders(up.rawHeaders, own, head?.edits));
      this.headAt = now();
    } catch (err) {
      up.abort(new Error('unrepresentable upstream response head'));
      this.fail(Object.assign(new Error('unrepresentable upstream response head'), { cause: err }));
      return;
    }
    if (bodiless) {
      up.dump();
      res.end();
      tap?.end(true);
      return;
    }
    const streams = this.plan.opts.streams;
    if (stream && streams) {
      streams.opened();
      res.once('close', streams.closed);
    }
    // Only a body a transform rewrites (nonce'd HTML) goes through a rewriter; every other is relayed byte for byte.
    up.pipe(head?.body ? head.body(res) : res, tap);
  }

  /** The route's transforms applied to a relayed head; undefined when it has none. */
  private relayHead(own: OutgoingHttpHeaders, facts: RelayHead['facts'], bodiless: boolean): RelayHead | undefined {
    const transforms = this.plan.transforms?.relay;
    if (!transforms?.length) return undefined;
    const head: RelayHead = { path: this.path, nonce: this.nonce, own, facts, bodiless, edits: [], body: undefined };
    for (let i = 0; i < transforms.length; i++) transforms[i].relay!(head);
    return head;
  }

  respond(status: number, headers: Readonly<OutgoingHttpHeaders>, body: Buffer, extra?: OutgoingHttpHeaders): void {
    const own = extra ? Object.assign(this.own(), extra) : this.own();
    const stored = this.plan.transforms?.stored;
    const edits: HeadEdit[] = [];
    if (stored?.length) {
      // A stored head is the upstream's: it is edited as a relayed one is (the cache never holds nonce'd HTML).
      const head: StoredHead = { path: this.path, nonce: this.nonce, own, stored: headers, edits };
      for (let i = 0; i < stored.length; i++) stored[i].stored!(head);
    }
    this.answerHead(own);
    if (status !== 304) own['content-length'] = body.length;
    const res = this.reply.raw;
    res.writeHead(status, storedClientHeaders(headers, own, edits));
    this.headAt = now();
    res.end(this.method === 'HEAD' || NO_BODY_STATUS.has(status) ? undefined : body);
  }

  reroute(as: CompiledRoute, to: UpstreamSet): void {
    this.served = as;
    this.pool = to;
    this.upstreamPath = as.rewrite(this.path) + this.query;
  }

  /** The fields the gateway set on the reply before forwarding: a fresh object (Fastify copies them). */
  private own(): OutgoingHttpHeaders {
    return this.reply.getHeaders() as OutgoingHttpHeaders;
  }

  /** The route's transforms' last word on a head the gateway writes itself. */
  private answerHead(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
    const answer = this.plan.transforms?.answer;
    if (answer) for (let i = 0; i < answer.length; i++) answer[i].answer!(headers);
    return headers;
  }
}

export interface CallOptions {
  headers?: Record<string, string>;
  detached?: boolean;
}

/** One `call` of an exchange: its attempts, one after another, until a head arrives or the retry policy gives up. */
class UpstreamAttempts implements AttemptListener {
  upstream!: Upstream;
  private spent: RetriesSpent = 0;

  constructor(
    private readonly ex: ClientExchange,
    readonly o: CallOptions,
    private readonly resolve: (up: UpstreamResponse) => void,
    private readonly reject: (err: unknown) => void,
  ) {}

  upstreamHead(response: UpstreamResponse): void {
    this.ex.pool.markUp(this.upstream);
    this.resolve(response);
  }

  upstreamFailed(err: Error): void {
    const { ex, upstream } = this;
    const { pool, withBody } = ex;
    const opts = ex.plan.opts;
    const kind = classifyUpstreamError(err);
    if (kind === 'connect') pool.markDown(upstream);
    if (err !== CLIENT_GONE) opts.onUpstreamError?.(upstream.origin, kind);
    const alternative = kind === 'connect' && pool.hasAlternative(upstream);
    const choice = retryChoice({
      kind,
      method: ex.method,
      withBody,
      clientGone: ex.gone,
      alternative,
      spent: this.spent,
    });
    if (choice) {
      this.spent = spend(this.spent, kind);
      return ex.dispatch(this, choice === 'another' ? pool.pick(upstream, withBody) : upstream);
    }
    if (err !== CLIENT_GONE) {
      const at = { reqId: ex.request.id, route: ex.served.id, upstream: upstream.origin, kind, err };
      opts.log.warn(at, 'upstream request failed');
    }
    this.reject(err);
  }
}
