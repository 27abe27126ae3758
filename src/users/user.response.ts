import type { User } from '../generated/prisma/client.js';

/** The user object of API.md. Built field by field: a password hash can never slip through. */
export interface UserResponse {
  id: string;
  email: string;
  emailVerified: boolean;
  name: string | null;
  role: 'user' | 'admin';
  status: 'active' | 'suspended';
  createdAt: string;
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
