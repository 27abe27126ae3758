import type { FeedLogger } from './revocation-feed.js';

/** `forbidden` counts towards Gatehouse's `repeated_forbidden`; `suspicious` raises `reported` (API.md "Anomalies"). */
export type SignalType = 'forbidden' | 'suspicious';

/**
 * One `POST /oauth/signals` body. Gatehouse takes exactly one of token, sid or sub: the session
 * by its `sid` (a verified token always has one), the user by `sub` only without it; never the
 * raw token, which would be one more place a live credential travels.
 */
export type SignalBody = { type: SignalType; detail?: string } & ({ sid: string } | { sub: string });

/** Gatehouse keeps at most this much of a `detail` (API.md); the rest is cut. */
const MAX_DETAIL = 500;

/** The body for verified claims; a TypeError for a call that could never be sent. */
export function signalBody(claims: { sid?: string; sub?: string }, type: SignalType, detail?: string): SignalBody {
  if (type !== 'forbidden' && type !== 'suspicious') throw new TypeError("verifier.report: type must be 'forbidden' or 'suspicious'");
  const who = typeof claims?.sid === 'string' && claims.sid ? { sid: claims.sid } : typeof claims?.sub === 'string' && claims.sub ? { sub: claims.sub } : undefined;
  if (!who) throw new TypeError('verifier.report: the claims need a sid (or a sub)');
  // Gatehouse refuses an empty detail or one with NUL characters: send what it can keep.
  const text = detail === undefined ? '' : String(detail).replaceAll('\0', '').trim().slice(0, MAX_DETAIL).trim();
  return text ? { type, ...who, detail: text } : { type, ...who };
}

export interface SignalReporterOptions {
  url: string;
  clientId: string;
  clientSecret: string;
  /** A reported signal waits this long for others to go with it. */
  flushIntervalMs: number;
  /** Signals waiting or in flight; more are dropped (counted as overflow). */
  maxQueued: number;
  /** Requests in flight at once. */
  maxConcurrent: number;
  /** One request's time limit. */
  timeoutMs: number;
  /** Tries per signal while Gatehouse is unreachable or answers 5xx/429, then it is dropped. */
  maxAttempts: number;
  /** First pause after a failure, doubled per consecutive failure up to maxRetryDelayMs. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /** close() sends what is queued for at most this long, then drops the rest. */
  closeTimeoutMs: number;
  logger: FeedLogger;
}

export interface SignalsStatus {
  url: string;
  /** Waiting to be sent (including those waiting for a retry). */
  queued: number;
  inFlight: number;
  /** Accepted by Gatehouse (202). */
  sent: number;
  /** Every signal given up on, by reason. */
  dropped: number;
  droppedBy: {
    /** The queue was full (maxQueued). */
    overflow: number;
    /** Gatehouse unreachable, timing out or answering 5xx/429 for maxAttempts tries. */
    failed: number;
    /** Gatehouse refused it (a 4xx such as 401: check clientId/clientSecret); never retried. */
    rejected: number;
    /** Still unsent when close() ran out of time, or reported after close(). */
    shutdown: number;
  };
  /** While backing off after a failure: when sending resumes (ISO-8601). */
  retryingAt: string | null;
  lastError: string | null;
}

interface Pending {
  body: string;
  attempts: number;
}

type DropReason = keyof SignalsStatus['droppedBy'];

/** 408, 429 and 5xx are worth another try; any other refusal would be refused again. */
function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Sends signals to Gatehouse's `POST /oauth/signals` in the background: `enqueue` only pushes
 * onto a bounded queue and never waits, so a request that reports is never delayed. The first
 * signal waits `flushIntervalMs` so that a burst goes out together (the endpoint takes one signal
 * per request: a burst becomes up to `maxConcurrent` requests at a time over kept-alive
 * connections). While Gatehouse is unreachable the sender pauses with a doubling backoff; what
 * cannot be sent within the bounds is dropped and counted, never held without limit.
 */
export class SignalReporter {
  private readonly queue: Pending[] = [];
  private readonly controllers = new Set<AbortController>();
  private readonly droppedBy: Record<DropReason, number> = { overflow: 0, failed: 0, rejected: 0, shutdown: 0 };
  private readonly authorization: string;
  private inFlight = 0;
  private sent = 0;
  private timer: NodeJS.Timeout | undefined;
  private pausedUntil = 0;
  private consecutiveFailures = 0;
  private lastError: string | undefined;
  private closing = false;
  private drained: (() => void) | undefined;

  constructor(private readonly options: SignalReporterOptions) {
    this.authorization = `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}`;
  }

  /** Queues a signal; false when it was dropped instead (queue full, or closed). Never blocks. */
  enqueue(signal: SignalBody): boolean {
    if (this.closing) return this.drop('shutdown');
    if (this.queue.length + this.inFlight >= this.options.maxQueued) {
      if (this.droppedBy.overflow === 0) this.options.logger.warn(`signal queue full (${this.options.maxQueued}); dropping signals`);
      return this.drop('overflow');
    }
    this.queue.push({ body: JSON.stringify(signal), attempts: 0 });
    this.schedule(this.options.flushIntervalMs);
    return true;
  }

  status(): SignalsStatus {
    const { overflow, failed, rejected, shutdown } = this.droppedBy;
    return {
      url: this.options.url,
      queued: this.queue.length,
      inFlight: this.inFlight,
      sent: this.sent,
      dropped: overflow + failed + rejected + shutdown,
      droppedBy: { ...this.droppedBy },
      retryingAt: this.pausedUntil > Date.now() ? new Date(this.pausedUntil).toISOString() : null,
      lastError: this.lastError ?? null,
    };
  }

  /**
   * Sends what is queued (one try each, no backoff) for at most closeTimeoutMs, then aborts what
   * is still in flight and drops the rest (counted as shutdown). Later signals are dropped.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pausedUntil = 0;
    const idle = new Promise<void>((resolve) => (this.drained = resolve));
    this.pump();
    this.notifyIfIdle();
    let deadline: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => (deadline = setTimeout(resolve, this.options.closeTimeoutMs)));
    await Promise.race([idle, timedOut]);
    clearTimeout(deadline);
    this.droppedBy.shutdown += this.queue.splice(0).length;
    for (const controller of this.controllers) controller.abort();
    // Aborted requests settle at once (counted as shutdown in fail()).
    if (this.inFlight > 0) await idle;
  }

  private drop(reason: DropReason): false {
    this.droppedBy[reason]++;
    return false;
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.closing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, delayMs);
    // A queued signal alone must not keep the process alive; close() is what flushes at exit.
    this.timer.unref();
  }

  private pump(): void {
    const wait = this.pausedUntil - Date.now();
    if (wait > 0 && !this.closing) {
      this.schedule(wait);
      return;
    }
    while (this.inFlight < this.options.maxConcurrent && this.queue.length > 0) {
      const pending = this.queue.shift()!;
      this.inFlight++;
      void this.send(pending).finally(() => {
        this.inFlight--;
        if (this.queue.length > 0) this.pump();
        this.notifyIfIdle();
      });
    }
  }

  private notifyIfIdle(): void {
    if (this.closing && this.inFlight === 0 && this.queue.length === 0) this.drained?.();
  }

  private async send(pending: Pending): Promise<void> {
    pending.attempts++;
    const controller = new AbortController();
    this.controllers.add(controller);
    const timeout = setTimeout(() => controller.abort(new Error(`no answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: { authorization: this.authorization, 'content-type': 'application/json' },
        body: pending.body,
        signal: controller.signal,
      });
      await response.body?.cancel();
      if (response.ok) this.succeed();
      else if (retryable(response.status)) this.fail(pending, `HTTP ${response.status}`, retryAfterMs(response.headers.get('retry-after')));
      else this.reject(response.status);
    } catch (error) {
      const reason = controller.signal.aborted && controller.signal.reason instanceof Error ? controller.signal.reason : (error as Error);
      const cause = (reason as Error & { cause?: Error }).cause;
      this.fail(pending, `${reason.message}${cause?.message ? ` (${cause.message})` : ''}`);
    } finally {
      clearTimeout(timeout);
      this.controllers.delete(controller);
    }
  }

  private succeed(): void {
    this.sent++;
    if (this.consecutiveFailures > 0) this.options.logger.info?.('signals reach Gatehouse again');
    this.consecutiveFailures = 0;
  }

  private reject(status: number): void {
    const hint = status === 401 ? ' (check clientId/clientSecret)' : status === 404 ? ' (does this Gatehouse have POST /oauth/signals?)' : '';
    const error = `Gatehouse refused a signal with HTTP ${status}${hint}`;
    if (error !== this.lastError) this.options.logger.warn(`${error}; dropping it`);
    this.lastError = error;
    this.drop('rejected');
  }

  private fail(pending: Pending, reason: string, retryAfter?: number): void {
    this.lastError = `signals to Gatehouse failed: ${reason}`;
    if (this.closing) {
      this.drop('shutdown');
      return;
    }
    this.consecutiveFailures++;
    if (this.consecutiveFailures === 1) this.options.logger.warn(`${this.lastError}; retrying with backoff, dropping what cannot be sent`);
    const { retryDelayMs, maxRetryDelayMs } = this.options;
    const backoff = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** (this.consecutiveFailures - 1));
    const delay = Math.min(maxRetryDelayMs, Math.max(retryAfter ?? 0, Math.round(backoff * (0.8 + Math.random() * 0.4))));
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + delay);
    if (pending.attempts >= this.options.maxAttempts) this.drop('failed');
    else this.queue.unshift(pending);
  }
}

function retryAfterMs(header: string | null): number | undefined {
  const seconds = header === null ? NaN : Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
