import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { UserResponse } from '../users/user.response.js';

/** API.md's token response (login, refresh). `refreshToken` is left out in cookie mode. */
export class TokenResponse {
  @ApiProperty({ enum: ['Bearer'] }) tokenType!: 'Bearer';
  @ApiProperty({ description: 'ES256 JWT (RFC 9068), for Authorization: Bearer' }) accessToken!: string;
  @ApiProperty({ description: 'seconds', example: 300 }) expiresIn!: number;
  @ApiPropertyOptional({ description: 'opaque; absent in cookie mode (X-Auth-Mode: cookie), where it travels in an HttpOnly cookie' })
  refreshToken?: string;
  @ApiProperty({ description: 'seconds until the session ends' }) refreshExpiresIn!: number;
  @ApiProperty({ format: 'uuid' }) sessionId!: string;
  @ApiProperty({ type: () => UserResponse }) user!: UserResponse;
}

/** GET /auth/session: read from the verified, revocation-checked token alone. */
export class SessionStatus {
  @ApiProperty({ enum: [true] }) active!: true;
  @ApiProperty({ format: 'uuid' }) sub!: string;
  @ApiProperty({ format: 'uuid' }) sid!: string;
  @ApiProperty({ enum: ['user', 'admin'] }) role!: 'user' | 'admin';
  @ApiProperty({ description: 'NumericDate' }) iat!: number;
  @ApiProperty({ description: 'NumericDate' }) exp!: number;
}

/** SessionStatus as the JSON Schema Fastify compiles GET /auth/session's serialiser from. */
export const SESSION_STATUS_SCHEMA = {
  type: 'object',
  properties: {
    active: { type: 'boolean' },
    sub: { type: 'string' },
    sid: { type: 'string' },
    role: { type: 'string' },
    iat: { type: 'number' },
    exp: { type: 'number' },
  },
  required: ['active', 'sub', 'sid', 'role', 'iat', 'exp'],
} as const;
