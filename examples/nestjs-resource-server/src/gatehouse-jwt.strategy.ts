import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { GatehouseVerifier, type GatehouseClaims } from '@gatehouse/verifier';
// The one import that changes from a plain passport-jwt setup: `Strategy` from 'passport-jwt'
// becomes GatehouseStrategy, which adds Gatehouse's JWKS, token rules and live revocations.
import { GatehouseStrategy } from '@gatehouse/verifier/passport';

@Injectable()
export class GatehouseJwtStrategy extends PassportStrategy(GatehouseStrategy, 'gatehouse') {
  constructor(@Inject(GatehouseVerifier) verifier: GatehouseVerifier) {
    super({ verifier });
  }

  /** Runs only for a valid, unexpired, unrevoked token: map the claims to your user here. */
  validate(claims: GatehouseClaims) {
    return { id: claims.sub, sessionId: claims.sid, role: claims.role };
  }
}
