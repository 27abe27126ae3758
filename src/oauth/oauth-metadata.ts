import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';

/**
 * The RFC 8414 document, built once at boot from the normalised JWT_ISSUER, so `issuer` is
 * byte-identical to every token's `iss`. It names only what Gatehouse does (see README
 * "OAuth metadata" for why there is no token or authorization endpoint).
 */
@Injectable()
export class OAuthMetadata {
  readonly document: Readonly<Record<string, unknown>>;

  constructor(config: AppConfig) {
    const issuer = config.get('JWT_ISSUER');
    // Client authentication accepted at /oauth/revoke and /oauth/introspect (RFC 6749 2.3.1).
    const confidential = ['client_secret_basic', 'client_secret_post'];
    this.document = Object.freeze({
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      // Gatehouse's own login and refresh (/auth/login, /auth/refresh) are not RFC 6749 token
      // endpoint grants, so they are named by extension URIs, not by `password`/`refresh_token`
      // (which would tell clients to POST grant_type=... to a token endpoint we do not have).
      grant_types_supported: ['urn:gatehouse:grant-type:password-login', 'urn:gatehouse:grant-type:refresh-rotation'],
      // No authorization endpoint, so no response type: RFC 8414 requires the member, and an
      // empty list is the true answer (listing `code` or `none` would invite redirects to nowhere).
      response_types_supported: [],
      // Login and refresh are called by public clients without client authentication.
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint: `${issuer}/oauth/revoke`,
      // RFC 7009 2.1: public clients send only their client_id; confidential ones authenticate.
      revocation_endpoint_auth_methods_supported: ['none', ...confidential],
      introspection_endpoint: `${issuer}/oauth/introspect`,
      // An admin bearer is also accepted (an extension with no registered name, so not listed).
      introspection_endpoint_auth_methods_supported: confidential,
      // Only where the docs are served (DOCS_ENABLED, off in production by default).
      ...(config.docsEnabled ? { service_documentation: `${issuer}/docs` } : {}),
      // Extension (not registered): the server-sent revocation feed for resource servers.
      revocation_events_endpoint: `${issuer}/events/revocations`,
    });
  }
}
