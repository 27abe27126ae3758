import type { LoggerService } from '@nestjs/common';

/** Collects what the app logs, to assert on it (what a log may and may not contain). */
export class CapturingLogger implements LoggerService {
  readonly lines: Array<{ level: string; message: string; context?: string }> = [];

  log(message: unknown, context?: string): void {
    this.push('log', message, context);
  }
  error(message: unknown, _trace?: string, context?: string): void {
    this.push('error', message, context);
  }
  warn(message: unknown, context?: string): void {
    this.push('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.push('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.push('verbose', message, context);
  }

  get text(): string {
    return this.lines.map((line) => `${line.level} [${line.context ?? ''}] ${line.message}`).join('\n');
  }

  private push(level: string, message: unknown, context?: string): void {
    this.lines.push({ level, message: typeof message === 'string' ? message : JSON.stringify(message), context });
  }
}
