import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../../database/prisma.service.js';
import { Sql } from '../../database/sql.service.js';
import type { RevocationEvent } from '../../generated/prisma/client.js';
import type { NewRevocation, Revocation } from './revocation.types.js';

/**
 * Serialises revocation writers for the rest of their transaction, so ids become visible in
 * id order and a reader's "id > cursor" never skips an id a slower transaction commits later.
 */
const REVOCATION_WRITE_LOCK = 0x67617465; // "gate"

/** A stored event as Prisma returns it, or as the catch-up read selects it (id as text). */
type EventRow = Omit<RevocationEvent, 'id'> & { id: bigint | string };

function toRevocation(row: EventRow): Revocation {
  return {
    id: row.id.toString(),
    sid: row.sessionId ?? undefined,
    sub: row.sessionId ? undefined : (row.userId ?? undefined),
    notBefore: row.notBefore?.getTime(),
    exceptSid: row.exceptSessionId ?? undefined,
    kid: row.kid ?? undefined,
    reason: row.reason,
    revokedAt: row.createdAt.getTime(),
  };
}

@Injectable()
export class RevocationEventsRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly sql: Sql,
  ) {}

  /**
   * Must run inside the transaction that makes the revocation (DESIGN.md). Stamped by the
   * database's clock (a user-wide cut-off passes the database time it cut off at), never an
   * instance's: every instance ages the entry from the same instant.
   */
  async insert(tx: Tx, revocation: NewRevocation, at?: Date): Promise<Revocation> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${REVOCATION_WRITE_LOCK})`;
    const now = at ?? (await databaseClock(tx));
    const data =
      'sid' in revocation
        ? { sessionId: revocation.sid, userId: revocation.userId }
        : 'sub' in revocation
          ? { userId: revocation.sub, notBefore: revocation.notBefore, exceptSessionId: revocation.exceptSid }
          : { kid: revocation.kid };
    const row = await tx.revocationEvent.create({ data: { ...data, reason: revocation.reason, createdAt: now } });
    return toRevocation(row);
  }

  /**
   * Queues NOTIFY payloads in this transaction: PostgreSQL delivers them to every listener when
   * it commits, and never if it rolls back.
   */
  async notify(tx: Tx, channel: string, payloads: string[]): Promise<void> {
    await tx.$executeRaw`SELECT pg_notify(${channel}, payload) FROM unnest(${payloads}::text[]) AS payload`;
  }

  /**
   * Events after `cursor`, oldest first: the catch-up read every push notice triggers, so it goes
   * straight to the driver pool. Ordered by the bigint column itself, never the text alias of the
   * same name (as text, '10000' < '9999': a test applies 40,000 events across digit boundaries).
   */
  async findAfter(cursor: bigint, limit: number): Promise<Revocation[]> {
    const rows = await this.sql.rows<EventRow>`
      SELECT id::text AS id, session_id AS "sessionId", user_id AS "userId", not_before AS "notBefore",
             except_session_id AS "exceptSessionId", kid, reason, created_at AS "createdAt"
      FROM revocation_events WHERE revocation_events.id > ${cursor.toString()}::bigint ORDER BY revocation_events.id LIMIT ${limit}`;
    return rows.map(toRevocation);
  }

  /** Revocations stamped within the last `windowMs` of the database clock, up to id `upTo`. */
  async findWithin(windowMs: number, upTo: bigint): Promise<Revocation[]> {
    const since = new Date((await databaseClock(this.prisma)).getTime() - windowMs);
    const rows = await this.prisma.revocationEvent.findMany({
      where: { createdAt: { gt: since }, id: { lte: upTo } },
      orderBy: { id: 'asc' },
    });
    return rows.map(toRevocation);
  }

  async maxId(): Promise<bigint> {
    const result = await this.prisma.revocationEvent.aggregate({ _max: { id: true } });
    return result._max.id ?? 0n;
  }

  /**
   * The highest id ever handed out (from the id sequence, so pruning every row does not lower
   * it). No consumer can legitimately have seen an event id above it.
   */
  async newestAllocatedId(): Promise<bigint> {
    const [row] = await this.prisma.$queryRaw<Array<{ id: bigint }>>`
      SELECT GREATEST(
        (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM revocation_events_id_seq),
        (SELECT coalesce(max(id), 0) FROM revocation_events)
      )::bigint AS id`;
    return row?.id ?? 0n;
  }

  /** The database's clock, ms since epoch: what every instance measures its own offset against. */
  async databaseNow(): Promise<number> {
    return (await databaseClock(this.prisma)).getTime();
  }

}

async function databaseClock(client: Tx): Promise<Date> {
  const [row] = await client.$queryRaw<Array<{ now: Date }>>`SELECT date_trunc('milliseconds', clock_timestamp()) AS now`;
  return row.now;
}
