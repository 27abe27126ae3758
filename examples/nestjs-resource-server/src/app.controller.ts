import { Controller, ForbiddenException, Get, Injectable, Req, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { GatehouseClaims } from '@gatehouse/verifier';
import { GatehouseAuthGuard } from '@gatehouse/verifier/nestjs';
import { reportForbidden, verifier } from './verifier.instance.js';

interface PassportRequest {
  user: { id: string; sessionId: string; role: 'user' | 'admin' };
}

/** A classic roles check after AuthGuard('gatehouse'): the strategy's user carries the role. */
@Injectable()
class AdminOnly implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.switchToHttp().getRequest<PassportRequest>().user.role === 'admin') return true;
    throw new ForbiddenException();
  }
}

/** Way 1: @nestjs/passport with the Gatehouse strategy, AuthGuard('gatehouse'). */
@Controller('passport')
export class PassportController {
  @UseGuards(AuthGuard('gatehouse'))
  @Get('me')
  me(@Req() request: PassportRequest) {
    return request.user;
  }

  @UseGuards(AuthGuard('gatehouse'), AdminOnly)
  @Get('admin')
  admin(@Req() request: PassportRequest) {
    return { report: 'only admins see this', by: request.user.id };
  }
}

/**
 * Way 2: the verifier's own NestJS guard: Gatehouse's error bodies (`code: token_revoked`, ...),
 * RFC 6750 WWW-Authenticate challenges, and roles built in.
 */
@Controller('guard')
export class GuardController {
  @UseGuards(new GatehouseAuthGuard(verifier))
  @Get('me')
  me(@Req() request: { auth: GatehouseClaims }) {
    const { sub, sid, role, exp } = request.auth;
    return { sub, sid, role, expiresAt: new Date(exp * 1000).toISOString() };
  }

  @UseGuards(new GatehouseAuthGuard(verifier, { roles: ['admin'], reportForbidden }))
  @Get('admin')
  admin(@Req() request: { auth: GatehouseClaims }) {
    return { report: 'only admins see this', by: request.auth.sub };
  }
}
