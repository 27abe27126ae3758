import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { GatehouseVerifier } from '@gatehouse/verifier';
import { verifier } from './verifier.instance.js';

@Injectable()
class VerifierShutdown implements OnApplicationShutdown {
  constructor(@Inject(GatehouseVerifier) private readonly instance: GatehouseVerifier) {}

  async onApplicationShutdown(): Promise<void> {
    await this.instance.close();
  }
}

/** Makes the process's verifier injectable (the Passport strategy takes it by its class). */
@Global()
@Module({
  providers: [{ provide: GatehouseVerifier, useValue: verifier }, VerifierShutdown],
  exports: [GatehouseVerifier],
})
export class VerifierModule {}
