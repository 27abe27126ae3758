import { ApiProperty } from '@nestjs/swagger';
import { SessionView } from '../sessions/session.response.js';
import { UserResponse } from '../users/user.response.js';

export class UserPage {
  @ApiProperty({ type: () => [UserResponse] }) users!: UserResponse[];
  @ApiProperty({ type: String, nullable: true, description: 'pass as cursor for the next page' }) nextCursor!: string | null;
}

export class UserDetail {
  @ApiProperty({ type: () => UserResponse }) user!: UserResponse;
  @ApiProperty({ type: () => [SessionView], description: 'live sessions only' }) sessions!: SessionView[];
}

export class KeyView {
  @ApiProperty({ description: 'RFC 7638 thumbprint' }) kid!: string;
  @ApiProperty({ enum: ['ES256'] }) alg!: 'ES256';
  @ApiProperty({ enum: ['active', 'retiring', 'revoked'] }) status!: 'active' | 'retiring' | 'revoked';
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) retiredAt!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) revokedAt!: string | null;
}

/** The key published in the JWKS before it signs (issue 9): POST /admin/keys/rotate activates it. */
export class NextKey {
  @ApiProperty({ description: 'RFC 7638 thumbprint' }) kid!: string;
  @ApiProperty({ enum: ['ES256'] }) alg!: 'ES256';
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class KeyList {
  @ApiProperty({ type: () => [KeyView], description: 'newest first; the next key is not among them' }) keys!: KeyView[];
  @ApiProperty({ type: () => NextKey, nullable: true, description: 'published in the JWKS, signing nothing yet' }) next!: NextKey | null;
}

export class RotatedKey {
  @ApiProperty({ description: 'the new active key; new tokens are signed with it' }) kid!: string;
}

/** What admins see of a queued mail: never its bodies (they carry single-use links). */
export class MailView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() kind!: string;
  @ApiProperty() to!: string;
  @ApiProperty() subject!: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) userId!: string | null;
  @ApiProperty({ enum: ['pending', 'sending', 'sent', 'failed'] }) status!: 'pending' | 'sending' | 'sent' | 'failed';
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
  @ApiProperty({ type: String, nullable: true }) transport!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) nextAttemptAt!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) sentAt!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) failedAt!: string | null;
}

export class MailPage {
  @ApiProperty({ type: () => [MailView] }) mails!: MailView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class MailEnvelope {
  @ApiProperty({ type: () => MailView }) mail!: MailView;
}
