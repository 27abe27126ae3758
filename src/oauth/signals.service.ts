import { Injectable } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import { AnomalyDetector } from '../anomalies/anomaly-detector.service.js';
import { DomainError } from '../common/domain-error.js';
import type { RequestContext } from '../common/request-context.js';
import { SessionsRepository } from '../sessions/sessions.repository.js';
import type { Caller } from './client-auth.service.js';
import { OAuthService } from './oauth.service.js';
import type { SignalDto, SignalType } from './signals.dto.js';

/** applied: counted or raised; unmatched: the token, session or user named nothing live. */
export type SignalOutcome = 'applied' | 'unmatched';

interface Target {
  userId: string;
  sessionId?: string;
}

/**
 * Signals from resource servers (POST /oauth/signals): `forbidden` counts towards
 * repeated_forbidden for the session (or user) it names, `suspicious` raises `reported`.
 * Handled before the 202, so an accepted signal has been counted. A signal naming nothing live
 * is accepted all the same (as RFC 7009 treats unknown tokens), so the endpoint tells a caller
 * nothing about which sessions exist; gatehouse_signals_total counts both outcomes.
 */
@Injectable()
export class SignalsService {
  private readonly outcomes = new Subject<{ type: SignalType; outcome: SignalOutcome }>();
  readonly outcomes$: Observable<{ type: SignalType; outcome: SignalOutcome }> = this.outcomes.asObservable();

  constructor(
    private readonly oauth: OAuthService,
    private readonly sessions: SessionsRepository,
    private readonly detector: AnomalyDetector,
  ) {}

  async receive(signal: SignalDto, caller: Caller, context: RequestContext): Promise<void> {
    const target = await this.resolve(signal);
    this.outcomes.next({ type: signal.type, outcome: target ? 'applied' : 'unmatched' });
    if (!target) return;
    const reporter = reporterOf(caller);
    if (signal.type === 'forbidden') {
      // The 403 was answered to the user, not from where the resource server reports it.
      await this.detector.countForbidden({ ...target, context: {}, source: { kind: 'signal', clientId: reporter } });
    } else {
      await this.detector.reported({ ...target, clientId: reporter, detail: signal.detail, reporterIp: context.ip });
    }
  }

  private async resolve(signal: SignalDto): Promise<Target | undefined> {
    const named = [signal.token, signal.sid, signal.sub].filter((value) => value !== undefined);
    if (named.length !== 1) {
      throw new DomainError('validation_failed', 'The request is invalid.', {
        details: [{ field: 'token', message: 'name exactly one of token, sid or sub' }],
      });
    }
    // Only a live token names a session: an expired, revoked or forged one proves nothing.
    if (signal.token !== undefined) return this.oauth.sessionOfAccessToken(signal.token);
    if (signal.sid !== undefined) {
      const session = await this.sessions.findById(signal.sid);
      return session ? { userId: session.userId, sessionId: session.id } : undefined;
    }
    // A user the raise no longer finds is skipped there (AnomalyResponder.raise).
    return { userId: signal.sub! };
  }
}

/** How the anomaly names who reported it: the client id, or the admin who called. */
function reporterOf(caller: Caller): string {
  if (caller.kind === 'client') return caller.clientId;
  if (caller.kind === 'admin') return `admin:${caller.sub}`;
  return caller.clientId ?? 'public';
}
