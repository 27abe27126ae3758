import type { GatehouseClaims } from './token-rules.js';
import type { GatehouseVerifier } from './verifier.js';

/** What an adapter with `reportForbidden: true` needs of its verifier. */
export type ReportingVerifier = Pick<GatehouseVerifier, 'report' | 'canReport'>;

/** Reports one 403 for these claims; never throws, never waits. */
export type ForbiddenReporter = (claims: GatehouseClaims, request: { method?: string; originalUrl?: string; url?: string }, why: string) => void;

/**
 * The adapters' `reportForbidden: true`: checked once at setup (a verifier without signal
 * credentials fails there, not on the first 403), then each 403 is queued as a 'forbidden'
 * signal. The detail names the method and path (no query string: it may carry secrets).
 */
export function forbiddenReporter(verifier: object, enabled: boolean | undefined, adapter: string): ForbiddenReporter | undefined {
  if (!enabled) return undefined;
  const reporting = verifier as Partial<ReportingVerifier>;
  const report = reporting.report;
  if (typeof report !== 'function' || reporting.canReport === false) {
    throw new TypeError(`${adapter}: reportForbidden needs a verifier that can report (createVerifier "signals", or the SSE feed's client credentials)`);
  }
  return (claims, request, why) => {
    const path = (request.originalUrl ?? request.url ?? '').split('?')[0];
    try {
      report.call(verifier, claims, 'forbidden', `${request.method ?? ''} ${path}: ${why}`.trim());
    } catch {
      // A report must never break the answer it is about.
    }
  };
}
