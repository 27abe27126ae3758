import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { GatehouseVerifier, type GatehouseClaims } from '@gatehouse/verifier';
// The one import that changes from a plain passport-jwt setup: `Strategy` from 'passport-jwt'
// becomes GatehouseStrategy, which adds Gatehouse's JWKS, token rules and live revocations.
import { GatehouseStrategy } from '@gatehouse/verifier/passport';
import { reportForbidden } from './verifier.instance.js';

@Injectable()
export class GatehouseJwtStrategy extends PassportStrategy(GatehouseStrategy, 'gatehouse') {
  constructor(@Inject(GatehouseVerifier) verifier: GatehouseVerifier) {
    // reportForbidden: the AdminOnly guard's 403s after AuthGuard('gatehouse') are reported too.
    super({ verifier, reportForbidden });
  }

  /** Runs only for a valid, unexpired, unrevoked token: map the claims to your user here. */
  validate(claims: GatehouseClaims) {
    return { id: claims.sub, sessionId: claims.sid, role: claims.role };
  }
}
