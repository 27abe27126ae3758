import { ApiProperty } from '@nestjs/swagger';
import type { User } from '../generated/prisma/client.js';

/** The user object of API.md. Built field by field: a password hash can never slip through. */
export class UserResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'ada@example.com' }) email!: string;
  @ApiProperty() emailVerified!: boolean;
  @ApiProperty({ type: String, nullable: true }) name!: string | null;
  @ApiProperty({ enum: ['user', 'admin'] }) role!: 'user' | 'admin';
  @ApiProperty({ enum: ['active', 'suspended'] }) status!: 'active' | 'suspended';
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

/** `{ user }`: register, GET /users/me and the admin actions on one user. */
export class UserEnvelope {
  @ApiProperty({ type: () => UserResponse }) user!: UserResponse;
}

/** The user fields a response is built from (a full row, or the ones a refresh reads back). */
export type UserSummary = Pick<User, 'id' | 'email' | 'emailVerifiedAt' | 'name' | 'role' | 'status' | 'createdAt'>;

export function toUserResponse(user: UserSummary): UserResponse {
  return {
    id: user.id,
    email: user.email,
    emailVerified: user.emailVerifiedAt !== null,
    name: user.name,
    role: user.role,
    status: user.status,
    createdAt: user.createdAt.toISOString(),
  };
}
