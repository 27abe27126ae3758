-- Anomaly detection (API.md "Anomalies").

-- CreateTable: windowed counters (repeated_forbidden per session, failed_logins per account)
-- when Redis is not configured or down. One upsert per hit decides the count atomically, on the
-- database's clock; a row whose window has ended starts a new window.
CREATE TABLE "anomaly_counters" (
    "key" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "window_ends_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "anomaly_counters_pkey" PRIMARY KEY ("key")
);

CREATE INDEX "anomaly_counters_window_ends_at_idx" ON "anomaly_counters"("window_ends_at");

-- CreateTable: the networks (IPv4 /24, IPv6 /48) each user logged in from, one row per network,
-- for new_network. previous_seen_at is the last_seen_at a login replaced: the upsert that records
-- a login also tells, atomically, whether that network was known.
CREATE TABLE "user_networks" (
    "user_id" UUID NOT NULL,
    "network" TEXT NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "previous_seen_at" TIMESTAMPTZ(3),

    CONSTRAINT "user_networks_pkey" PRIMARY KEY ("user_id", "network")
);

CREATE INDEX "user_networks_last_seen_at_idx" ON "user_networks"("last_seen_at");

ALTER TABLE "user_networks" ADD CONSTRAINT "user_networks_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
