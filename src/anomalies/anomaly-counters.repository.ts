import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';

/**
 * Windowed anomaly counters in PostgreSQL, for when Redis is not configured or down. One upsert
 * per hit, on the database's clock: concurrent hits from any instance queue on the row and each
 * reads back a different count, so exactly one of them sees the threshold.
 */
@Injectable()
export class AnomalyCountersRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Counts one hit; a window that has ended starts again at 1. Returns the count in the window. */
  async increment(key: string, windowSeconds: number): Promise<number> {
    const [row] = await this.prisma.$queryRaw<Array<{ count: number }>>`
      INSERT INTO anomaly_counters (key, count, window_ends_at)
      VALUES (${key}, 1, statement_timestamp() + make_interval(secs => ${windowSeconds}))
      ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN anomaly_counters.window_ends_at <= statement_timestamp() THEN 1 ELSE anomaly_counters.count + 1 END,
        window_ends_at = CASE WHEN anomaly_counters.window_ends_at <= statement_timestamp()
          THEN EXCLUDED.window_ends_at ELSE anomaly_counters.window_ends_at END
      RETURNING count`;
    return row.count;
  }
}
