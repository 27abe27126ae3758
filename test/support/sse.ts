export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/**
 * A minimal server-sent-events client for tests: collects events and comments from a real
 * streaming HTTP response, and waits for what a test expects.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  comments = 0;
  status = 0;
  private readonly controller = new AbortController();
  private waiters: Array<() => void> = [];
  private done: Promise<void> | undefined;

  static async connect(url: string, headers: Record<string, string>): Promise<SseClient> {
    const client = new SseClient();
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: client.controller.signal });
    client.status = response.status;
    if (response.ok && response.body) client.done = client.read(response.body).catch(() => undefined);
    else client.events.push({ event: 'error', data: await response.text() });
    return client;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of body) {
      buffer += decoder.decode(chunk, { stream: true });
      let boundary: number;
      while ((boundary = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        this.parse(block);
      }
    }
  }

  private parse(block: string): void {
    const event: SseEvent = { event: 'message', data: '' };
    let hasData = false;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments++;
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') event.id = value;
      else if (field === 'event') event.event = value;
      else if (field === 'data') {
        event.data += (hasData ? '\n' : '') + value;
        hasData = true;
      }
    }
    if (hasData) this.events.push(event);
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((wake) => wake());
  }

  /** Resolves once `predicate` holds for the collected events (rejects after `timeoutMs`). */
  async waitFor(predicate: (events: SseEvent[]) => boolean, timeoutMs = 3000): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events)) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`timed out; events so far: ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, 100));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.events;
  }

  revocations(): Array<{ id: string; data: Record<string, unknown> }> {
    return this.events.filter((e) => e.event === 'revocation').map((e) => ({ id: e.id!, data: JSON.parse(e.data) }));
  }

  /** Resolves when the server ends the stream. */
  finished(): Promise<void> {
    return this.done ?? Promise.resolve();
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.done;
  }
}
