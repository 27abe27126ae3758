import { ApiProperty } from '@nestjs/swagger';

/** One live session as its owner (or an admin) sees it. */
export class SessionView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) lastUsedAt!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ type: String, nullable: true }) userAgent!: string | null;
  @ApiProperty({ type: String, nullable: true }) ip!: string | null;
  @ApiProperty({ description: 'true for the session of the token making the request' }) current!: boolean;
}

export class SessionList {
  @ApiProperty({ type: () => [SessionView] }) sessions!: SessionView[];
}
