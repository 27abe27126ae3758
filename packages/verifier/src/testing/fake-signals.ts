import type { IncomingMessage, ServerResponse } from 'node:http';

export interface ReceivedSignal {
  authorization: string | undefined;
  contentType: string | undefined;
  body: Record<string, unknown>;
  /** Date.now() when the request arrived. */
  at: number;
}

/**
 * FakeGatehouse's `POST /oauth/signals`: records what arrives and answers as the test says
 * (a status, a Retry-After, or no answer at all until released).
 */
export class FakeSignalsEndpoint {
  readonly received: ReceivedSignal[] = [];
  /** Answer with this status (202 as Gatehouse does; 503 while "down", 401 for bad credentials). */
  status = 202;
  /** Sent as Retry-After with a non-2xx status. */
  retryAfter: string | undefined;
  /** Hold every answer until releaseHeld() (a Gatehouse that hangs). */
  hold = false;
  /** Requests being handled right now, and the most at once so far. */
  inFlight = 0;
  maxInFlight = 0;
  private readonly held = new Set<() => void>();

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on('close', () => this.inFlight--);
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      this.received.push({
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body: JSON.parse(text) as Record<string, unknown>,
        at: Date.now(),
      });
      const answer = () => {
        res.statusCode = this.status;
        if (this.retryAfter !== undefined && this.status >= 300) res.setHeader('retry-after', this.retryAfter);
        res.setHeader('content-type', 'application/json');
        res.end(this.status === 202 ? '{}' : JSON.stringify({ statusCode: this.status, code: 'refused' }));
      };
      if (!this.hold) return answer();
      this.held.add(answer);
      res.on('close', () => this.held.delete(answer));
    });
  }

  /** Answers every held request (with the current status) and stops holding. */
  releaseHeld(): void {
    this.hold = false;
    for (const answer of [...this.held]) answer();
    this.held.clear();
  }
}
