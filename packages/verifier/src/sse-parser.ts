export interface ServerSentEvent {
  /** The stream's last event id when this event was dispatched (ids persist across events). */
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * Incremental text/event-stream parser (WHATWG HTML "Server-sent events", 9.2.6): feed it
 * decoded chunks as they arrive; it returns the events completed by each chunk. Comment lines
 * (`: ping`) produce nothing but still count as traffic for the caller's heartbeat watchdog.
 */
export class SseParser {
  private buffer = '';
  private afterCr = false;
  private data: string[] = [];
  private eventType = '';
  private lastEventId: string | undefined;
  /** The `retry:` reconnection time the server asked for, in ms. */
  retryMs: number | undefined;

  push(chunk: string): ServerSentEvent[] {
    this.buffer += chunk;
    const events: ServerSentEvent[] = [];
    let start = 0;
    // A CR that ended the previous chunk may be the first half of a CRLF.
    if (this.afterCr && this.buffer[0] === '\n') start = 1;
    this.afterCr = false;
    for (;;) {
      const end = this.findLineEnd(start);
      if (end === -1) break;
      const line = this.buffer.slice(start, end);
      start = end + 1;
      if (this.buffer[end] === '\r') {
        if (start === this.buffer.length) this.afterCr = true;
        else if (this.buffer[start] === '\n') start++;
      }
      const event = this.processLine(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  private findLineEnd(from: number): number {
    for (let i = from; i < this.buffer.length; i++) {
      const char = this.buffer[i];
      if (char === '\n' || char === '\r') return i;
    }
    return -1;
  }

  private processLine(line: string): ServerSentEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.eventType = value;
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }

  private dispatch(): ServerSentEvent | undefined {
    const event =
      this.data.length > 0
        ? { id: this.lastEventId, event: this.eventType || 'message', data: this.data.join('\n') }
        : undefined;
    this.data = [];
    this.eventType = '';
    return event;
  }
}
