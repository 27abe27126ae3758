import { Body, Controller, Get, Header, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBasicAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { RequestContext } from '../common/request-context.js';
import { ClientContext, Public } from '../common/auth.decorators.js';
import { oauthBodyPipe } from '../common/validation.js';
import { ClientAuthGuard, CurrentCaller, OptionalClientAuthGuard } from './client-auth.guard.js';
import type { Caller } from './client-auth.service.js';
import { OAuthMetadata } from './oauth-metadata.js';
import { TokenRequestDto, type TokenRequest } from './oauth.dto.js';
import { AuthorizationServerMetadata, IntrospectionResponse, RevokeResponse, SignalAccepted } from './oauth.responses.js';
import { OAuthService } from './oauth.service.js';
import { SignalRateLimitGuard } from './signal-rate-limit.guard.js';
import { SignalDto } from './signals.dto.js';
import { SignalsService } from './signals.service.js';

@ApiTags('oauth')
@Public()
@Controller()
export class OAuthController {
  constructor(
    private readonly metadataDocument: OAuthMetadata,
    private readonly oauth: OAuthService,
    private readonly signals: SignalsService,
  ) {}

  /** RFC 8414 authorization server metadata. */
  @Get('.well-known/oauth-authorization-server')
  @Header('cache-control', 'public, max-age=300')
  @ApiOkResponse({ type: AuthorizationServerMetadata })
  metadata() {
    return this.metadataDocument.document;
  }

  @ApiBasicAuth()
  @ApiBody({ type: TokenRequestDto })
  @UseGuards(OptionalClientAuthGuard)
  @Post('oauth/revoke')
  @HttpCode(200)
  @ApiOkResponse({ type: RevokeResponse })
  async revoke(@Body(oauthBodyPipe(TokenRequestDto)) body: TokenRequest, @ClientContext() context: RequestContext): Promise<RevokeResponse> {
    await this.oauth.revoke(body.token, context);
    return {};
  }

  @ApiBasicAuth()
  @ApiBody({ type: TokenRequestDto })
  @UseGuards(ClientAuthGuard)
  @Post('oauth/introspect')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @Header('pragma', 'no-cache')
  @ApiOkResponse({ type: IntrospectionResponse })
  introspect(@Body(oauthBodyPipe(TokenRequestDto)) body: TokenRequest): Promise<IntrospectionResponse> {
    return this.oauth.introspect(body.token);
  }

  @ApiBasicAuth()
  @UseGuards(ClientAuthGuard, SignalRateLimitGuard)
  @Post('oauth/signals')
  @HttpCode(202)
  @ApiOperation({ summary: 'A resource server reports a 403 it answered (forbidden) or suspicious activity (suspicious)' })
  @ApiAcceptedResponse({ type: SignalAccepted })
  async signal(@Body() body: SignalDto, @CurrentCaller() caller: Caller, @ClientContext() context: RequestContext): Promise<SignalAccepted> {
    await this.signals.receive(body, caller, context);
    return {};
  }
}
