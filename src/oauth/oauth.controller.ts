import { Body, Controller, Get, Header, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import { AppConfig } from '../config/app-config.js';
import type { RequestContext } from '../common/request-context.js';
import { ClientContext, Public } from '../common/auth.decorators.js';
import { ClientAuthGuard } from './client-auth.guard.js';
import { TokenRequestDto } from './oauth.dto.js';
import { OAuthService } from './oauth.service.js';

@ApiTags('oauth')
@Public()
@Controller()
export class OAuthController {
  constructor(
    private readonly config: AppConfig,
    private readonly oauth: OAuthService,
  ) {}

  /** RFC 8414 authorization server metadata. */
  @Get('.well-known/oauth-authorization-server')
  @Header('cache-control', 'public, max-age=300')
  metadata() {
    const issuer = this.config.get('JWT_ISSUER').replace(/\/+$/, '');
    return {
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      revocation_endpoint_auth_methods_supported: ['none'],
      introspection_endpoint: `${issuer}/oauth/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'bearer'],
      revocation_events_endpoint: `${issuer}/events/revocations`,
      response_types_supported: [],
    };
  }

  @Post('oauth/revoke')
  @HttpCode(200)
  async revoke(@Body() body: TokenRequestDto, @ClientContext() context: RequestContext) {
    await this.oauth.revoke(body.token, context);
    return {};
  }

  @ApiBasicAuth()
  @UseGuards(ClientAuthGuard)
  @Post('oauth/introspect')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  introspect(@Body() body: TokenRequestDto) {
    return this.oauth.introspect(body.token);
  }
}
