import type { Anomaly } from './anomalies.repository.js';

/** API.md's anomaly object (plus the reviewer's note and the client's network). */
export interface AnomalyResponse {
  id: string;
  type: string;
  userId: string;
  sessionId?: string;
  action: string;
  status: string;
  network?: string;
  details: unknown;
  createdAt: string;
  resolvedAt?: string;
  resolvedBy?: string;
  note?: string;
}

export function toAnomalyResponse(anomaly: Anomaly): AnomalyResponse {
  return {
    id: anomaly.id,
    type: anomaly.type,
    userId: anomaly.userId,
    ...(anomaly.sessionId ? { sessionId: anomaly.sessionId } : {}),
    action: anomaly.action,
    status: anomaly.status,
    ...(anomaly.network ? { network: anomaly.network } : {}),
    details: anomaly.details,
    createdAt: anomaly.createdAt.toISOString(),
    ...(anomaly.resolvedAt ? { resolvedAt: anomaly.resolvedAt.toISOString() } : {}),
    ...(anomaly.resolvedBy ? { resolvedBy: anomaly.resolvedBy } : {}),
    ...(anomaly.note ? { note: anomaly.note } : {}),
  };
}

/** What the user sees of their own anomalies: type, when, network; no internal details. */
export interface SecurityEvent {
  type: string;
  createdAt: string;
  network: string | null;
}

export function toSecurityEvent(anomaly: Pick<Anomaly, 'type' | 'createdAt' | 'network'>): SecurityEvent {
  return { type: anomaly.type, createdAt: anomaly.createdAt.toISOString(), network: anomaly.network };
}
