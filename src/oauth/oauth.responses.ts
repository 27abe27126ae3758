import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** RFC 7662: `{ active: false }` for anything expired, revoked, unknown or invalid; otherwise the claims. */
export class IntrospectionResponse {
  @ApiProperty() active!: boolean;
  @ApiPropertyOptional({ enum: ['Bearer', 'refresh_token'] }) token_type?: string;
  @ApiPropertyOptional({ format: 'uuid' }) sub?: string;
  @ApiPropertyOptional({ format: 'uuid' }) sid?: string;
  @ApiPropertyOptional({ enum: ['user', 'admin'] }) role?: string;
  @ApiPropertyOptional() iss?: string;
  @ApiPropertyOptional() aud?: string;
  @ApiPropertyOptional() client_id?: string;
  @ApiPropertyOptional({ description: 'NumericDate' }) exp?: number;
  @ApiPropertyOptional({ description: 'NumericDate' }) iat?: number;
  @ApiPropertyOptional() jti?: string;
}

/** RFC 7009: an empty JSON object for every well-formed request, also for unknown tokens. */
export class RevokeResponse {}

/** POST /oauth/signals: accepted (and counted); an empty object, as for RFC 7009. */
export class SignalAccepted {}

/** RFC 8414 authorization server metadata (what Gatehouse does, nothing more). */
export class AuthorizationServerMetadata {
  @ApiProperty({ description: "exactly the tokens' iss" }) issuer!: string;
  @ApiProperty() jwks_uri!: string;
  @ApiProperty({ type: [String] }) grant_types_supported!: string[];
  @ApiProperty({ type: [String] }) response_types_supported!: string[];
  @ApiProperty({ type: [String] }) token_endpoint_auth_methods_supported!: string[];
  @ApiProperty() revocation_endpoint!: string;
  @ApiProperty({ type: [String] }) revocation_endpoint_auth_methods_supported!: string[];
  @ApiProperty() introspection_endpoint!: string;
  @ApiProperty({ type: [String] }) introspection_endpoint_auth_methods_supported!: string[];
  @ApiProperty() service_documentation!: string;
  @ApiProperty({ description: 'extension: the server-sent revocation feed' }) revocation_events_endpoint!: string;
}
