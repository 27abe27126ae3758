import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth.decorators.js';
import { JwksResponse } from './jwks.response.js';
import { SigningKeysService } from './signing-keys.service.js';

@ApiTags('keys')
@Public()
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeysService) {}

  /** Public halves of every key whose tokens may still be alive. */
  @Get('jwks.json')
  @Header('cache-control', 'public, max-age=60')
  @ApiOkResponse({ type: JwksResponse })
  jwks(): JwksResponse {
    return { keys: this.keys.jwks() };
  }
}
