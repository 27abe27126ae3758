import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ANOMALY_ACTIONS, ANOMALY_TYPES } from '../config/anomaly-policy.js';
import type { Anomaly } from './anomalies.repository.js';

/** API.md's anomaly object (plus the reviewer's note and the client's network). */
export class AnomalyResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ANOMALY_TYPES }) type!: string;
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiPropertyOptional({ format: 'uuid' }) sessionId?: string;
  @ApiProperty({ enum: ANOMALY_ACTIONS }) action!: string;
  @ApiProperty({ enum: ['open', 'dismissed', 'confirmed'] }) status!: string;
  @ApiPropertyOptional({ description: 'IPv4 /24 or IPv6 /48 of the client', example: '203.0.113.0/24' }) network?: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) details!: unknown;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiPropertyOptional({ format: 'date-time' }) resolvedAt?: string;
  @ApiPropertyOptional({ format: 'uuid' }) resolvedBy?: string;
  @ApiPropertyOptional() note?: string;
}

export class AnomalyPage {
  @ApiProperty({ type: [AnomalyResponse] }) anomalies!: AnomalyResponse[];
  @ApiProperty({ type: String, nullable: true, description: 'cursor for the next page' }) nextCursor!: string | null;
}

export class AnomalyResult {
  @ApiProperty({ type: AnomalyResponse }) anomaly!: AnomalyResponse;
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
export class SecurityEvent {
  @ApiProperty({ enum: ANOMALY_TYPES }) type!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, nullable: true }) network!: string | null;
}

export class SecurityEvents {
  @ApiProperty({ type: [SecurityEvent] }) events!: SecurityEvent[];
}

export function toSecurityEvent(anomaly: Pick<Anomaly, 'type' | 'createdAt' | 'network'>): SecurityEvent {
  return { type: anomaly.type, createdAt: anomaly.createdAt.toISOString(), network: anomaly.network };
}
