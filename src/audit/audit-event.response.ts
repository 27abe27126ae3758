import { ApiProperty } from '@nestjs/swagger';
import { AUDIT_EVENT_TYPES, type AuditEventType } from './audit-event-types.js';

export class AuditEventResponse {
  @ApiProperty({ description: 'decimal string (a bigint)' }) id!: string;
  @ApiProperty({ enum: AUDIT_EVENT_TYPES }) type!: AuditEventType;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) userId!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) actorId!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) sessionId!: string | null;
  @ApiProperty({ type: String, nullable: true }) ip!: string | null;
  @ApiProperty({ type: String, nullable: true }) userAgent!: string | null;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true }) details!: unknown;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class AuditPage {
  @ApiProperty({ type: () => [AuditEventResponse] }) events!: AuditEventResponse[];
  @ApiProperty({ type: String, nullable: true, description: 'pass as cursor for the next (older) page' }) nextCursor!: string | null;
}
