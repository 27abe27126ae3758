import { ApiProperty } from '@nestjs/swagger';

export class PublicJwkResponse {
  @ApiProperty({ enum: ['EC'] }) kty!: string;
  @ApiProperty({ enum: ['P-256'] }) crv!: string;
  @ApiProperty() x!: string;
  @ApiProperty() y!: string;
  @ApiProperty() kid!: string;
  @ApiProperty({ enum: ['ES256'] }) alg!: 'ES256';
  @ApiProperty({ enum: ['sig'] }) use!: 'sig';
}

/** Every key whose tokens may still be alive (active, retiring within TTL + leeway). */
export class JwksResponse {
  @ApiProperty({ type: () => [PublicJwkResponse] }) keys!: PublicJwkResponse[];
}
