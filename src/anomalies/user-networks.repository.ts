import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql.service.js';

export interface NetworkSighting {
  /** The network was not seen for this user within the history (or never). */
  isNew: boolean;
  /** The user had logged in before (from this network long ago, or from another one). */
  hadHistory: boolean;
}

/**
 * The compact per-user network history behind new_network: one row per user and network, the
 * last time a login came from it. One upsert records a login and, atomically, tells what was
 * known before it: two logins from one new network at once see one of them as new, never both.
 * On the driver pool (issue 10): it runs after every login.
 */
@Injectable()
export class UserNetworksRepository {
  constructor(private readonly sql: Sql) {}

  async recordLogin(params: { userId: string; network: string; historyDays: number }): Promise<NetworkSighting> {
    const [row] = await this.sql.rows<{ previous_seen_at: Date | null; fresh_enough: boolean | null; other_networks: boolean }>`
      WITH prior AS (
        SELECT EXISTS (SELECT 1 FROM user_networks WHERE user_id = ${params.userId}::uuid AND network <> ${params.network}) AS other_networks
      ), sighting AS (
        INSERT INTO user_networks (user_id, network, first_seen_at, last_seen_at)
        VALUES (${params.userId}::uuid, ${params.network}, statement_timestamp(), statement_timestamp())
        ON CONFLICT (user_id, network) DO UPDATE
          SET previous_seen_at = user_networks.last_seen_at, last_seen_at = EXCLUDED.last_seen_at
        RETURNING previous_seen_at
      )
      SELECT sighting.previous_seen_at,
             sighting.previous_seen_at > statement_timestamp() - make_interval(days => ${params.historyDays}::int) AS fresh_enough,
             prior.other_networks
      FROM sighting, prior`;
    return { isNew: row.fresh_enough !== true, hadHistory: row.other_networks || row.previous_seen_at !== null };
  }
}
