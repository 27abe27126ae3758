/**
 * Delay before attempt `attempts + 1` after `attempts` failed ones: exponential from `baseMs`,
 * capped at `maxMs`, with up to 20% random jitter so that instances retrying after one outage
 * do not all hit the SMTP server in the same millisecond.
 */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exponential = baseMs * 2 ** Math.max(0, attempts - 1);
  const capped = Math.min(Math.max(baseMs, maxMs), exponential);
  return Math.round(capped * (1 - 0.2 * random()));
}

/**
 * An SMTP answer that will not change on retry: a 5xx reply to the envelope or the message
 * (unknown mailbox, message refused). Connection errors, timeouts, 4xx and authentication
 * failures (an operator fixes those) are retried.
 */
export function isPermanentFailure(error: unknown): boolean {
  const candidate = error as { code?: unknown; responseCode?: unknown } | null;
  const code = typeof candidate?.code === 'string' ? candidate.code : '';
  const status = typeof candidate?.responseCode === 'number' ? candidate.responseCode : 0;
  return (code === 'EENVELOPE' || code === 'EMESSAGE') && status >= 500 && status < 600;
}

/** What admins see of a failure: the SMTP reply or error, one line, bounded. */
export function describeFailure(error: unknown): string {
  const candidate = error as { code?: unknown; response?: unknown; message?: unknown } | null;
  const code = typeof candidate?.code === 'string' ? `${candidate.code}: ` : '';
  const detail = typeof candidate?.response === 'string' ? candidate.response : String(candidate?.message ?? error);
  return `${code}${detail}`.replace(/\s+/g, ' ').trim().slice(0, 500);
}
