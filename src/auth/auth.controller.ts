import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RouteSchema } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../common/domain-error.js';
import { RateLimited } from '../rate-limit/rate-limit.guard.js';
import type { RequestContext } from '../common/request-context.js';
import type { VerifiedToken } from '../tokens/access-token.service.js';
import { toUserResponse, UserEnvelope } from '../users/user.response.js';
import { UsersService } from '../users/users.service.js';
import { callerOf, ClientContext, CurrentUser, OptionalAuth, Public, type AuthenticatedRequest } from '../common/auth.decorators.js';
import { LoginDto, LogoutDto, RefreshDto, RegisterDto } from './auth.dto.js';
import { SESSION_STATUS_SCHEMA, SessionStatus, TokenResponse } from './auth.responses.js';
import { AuthService, toTokenResponse } from './auth.service.js';
import { RefreshCookie } from './refresh-cookie.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
    private readonly cookie: RefreshCookie,
  ) {}

  @Public()
  @RateLimited()
  @Post('register')
  @ApiCreatedResponse({ type: UserEnvelope })
  async register(@Body() body: RegisterDto, @ClientContext() context: RequestContext): Promise<UserEnvelope> {
    return { user: toUserResponse(await this.users.register(body, context)) };
  }

  @Public()
  @RateLimited()
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: TokenResponse })
  async login(
    @Body() body: LoginDto,
    @ClientContext() context: RequestContext,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponse> {
    const issued = await this.auth.login(body.email, body.password, context);
    return this.respondWithTokens(issued, request, reply);
  }

  @Public()
  @RateLimited()
  @Post('refresh')
  @HttpCode(200)
  @ApiOkResponse({ type: TokenResponse })
  async refresh(
    @Body() body: RefreshDto,
    @ClientContext() context: RequestContext,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponse> {
    const source = this.cookie.read(request, body.refreshToken);
    if (!source) throw new DomainError('invalid_refresh_token', 'No refresh token was sent.');
    const issued = await this.auth.refresh(source.token, context);
    return this.respondWithTokens(issued, request, reply, source.fromCookie);
  }

  @OptionalAuth()
  @ApiBearerAuth()
  @Post('logout')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'that session revoked' })
  async logout(
    @Body() body: LogoutDto,
    @CurrentUser() bearer: VerifiedToken | undefined,
    @ClientContext() context: RequestContext,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    const source = bearer && !body.refreshToken ? undefined : this.cookie.read(request, body.refreshToken);
    await this.auth.logout({ refreshToken: source?.token, bearer, context });
    if (source?.fromCookie || this.cookie.present(request) || this.cookie.wantsCookie(request)) this.cookie.clear(reply);
  }

  @ApiBearerAuth()
  @Post('logout-all')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'every session of the user revoked' })
  async logoutAll(@CurrentUser() bearer: VerifiedToken, @ClientContext() context: RequestContext): Promise<void> {
    await this.auth.logoutAll(bearer, context);
  }

  /**
   * "Is my session still alive?" from the verified, revocation-checked token alone. The one
   * handler that takes the caller off the request rather than from @CurrentUser(): Nest runs the
   * global ValidationPipe on every custom param decorator, a chain of promises per request that
   * made this endpoint, meant to cost what GET /health/live costs, about 10% dearer (issue 10).
   */
  @ApiBearerAuth()
  @Get('session')
  // A response schema lets Fastify serialise the answer with a compiled serialiser, not JSON.stringify.
  @RouteSchema({ response: { 200: SESSION_STATUS_SCHEMA } })
  @ApiOkResponse({ type: SessionStatus })
  session(@Req() request: AuthenticatedRequest): SessionStatus {
    const bearer = callerOf(request);
    return { active: true, sub: bearer.sub, sid: bearer.sid, role: bearer.role, iat: bearer.iat, exp: bearer.exp };
  }

  private respondWithTokens(
    issued: Parameters<typeof toTokenResponse>[0],
    request: FastifyRequest,
    reply: FastifyReply,
    cameFromCookie = false,
  ): TokenResponse {
    const cookieMode = cameFromCookie || this.cookie.wantsCookie(request);
    if (cookieMode) this.cookie.set(reply, issued.refreshToken, issued.refreshExpiresIn);
    // RFC 6749 5.1: token responses must not be cached, also by HTTP/1.0 caches.
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    return toTokenResponse(issued, !cookieMode);
  }
}
