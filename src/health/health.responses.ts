import { ApiProperty } from '@nestjs/swagger';

export class LiveResponse {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
}

/** 200 when the database answers; Redis is reported but never makes the instance unready. */
export class ReadyResponse {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
  @ApiProperty({ enum: ['up'] }) database!: 'up';
  @ApiProperty({ enum: ['up', 'down', 'off'] }) redis!: 'up' | 'down' | 'off';
}
