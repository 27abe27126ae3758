import { z } from 'zod';

/** API.md "Anomalies": every type a detector raises, and what its policy may do about it. */
export const ANOMALY_TYPES = ['refresh_token_reuse', 'repeated_forbidden', 'failed_logins', 'new_network', 'session_network_change', 'reported'] as const;
export const ANOMALY_ACTIONS = ['flag', 'revoke_session', 'revoke_user', 'suspend_user'] as const;

export type AnomalyType = (typeof ANOMALY_TYPES)[number];
export type AnomalyAction = (typeof ANOMALY_ACTIONS)[number];
export type AnomalyPolicy = Readonly<Record<AnomalyType, AnomalyAction>>;

/** API.md's defaults; ANOMALY_POLICY overrides them type by type. */
export const DEFAULT_ANOMALY_POLICY: AnomalyPolicy = {
  refresh_token_reuse: 'revoke_session',
  repeated_forbidden: 'revoke_session',
  failed_logins: 'flag',
  new_network: 'flag',
  session_network_change: 'flag',
  reported: 'revoke_session',
};

/**
 * `type=action` pairs, comma-separated. Unknown types or actions, a type named twice, and
 * `refresh_token_reuse=flag` are refused at boot: API.md promises that `refresh_token_reused`
 * means the session is revoked, so reuse can only be answered with revoke_session or more.
 */
export function parseAnomalyPolicy(raw: string): { policy: AnomalyPolicy } | { error: string } {
  const policy: Record<AnomalyType, AnomalyAction> = { ...DEFAULT_ANOMALY_POLICY };
  const seen = new Set<string>();
  for (const pair of raw.split(',').map((part) => part.trim()).filter(Boolean)) {
    const match = /^([a-z_]+)\s*=\s*([a-z_]+)$/.exec(pair);
    if (!match) return { error: `"${pair}" is not a type=action pair` };
    const [, type, action] = match;
    if (!isOneOf(ANOMALY_TYPES, type)) return { error: `unknown anomaly type "${type}" (one of ${ANOMALY_TYPES.join(', ')})` };
    if (!isOneOf(ANOMALY_ACTIONS, action)) return { error: `unknown action "${action}" (one of ${ANOMALY_ACTIONS.join(', ')})` };
    if (seen.has(type)) return { error: `"${type}" is named twice` };
    if (type === 'refresh_token_reuse' && action === 'flag') return { error: 'refresh_token_reuse must at least revoke the session (refresh_token_reused says it does)' };
    seen.add(type);
    policy[type] = action;
  }
  return { policy };
}

function isOneOf<T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value);
}

export const anomalyPolicySchema = z
  .string()
  .default('')
  .transform((raw, ctx): AnomalyPolicy => {
    const parsed = parseAnomalyPolicy(raw);
    if ('error' in parsed) {
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    }
    return parsed.policy;
  });
