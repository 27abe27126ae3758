-- Anomalies (API.md "Anomalies"): abnormal activity, the action its policy took, and its review.

-- CreateEnum
CREATE TYPE "AnomalyType" AS ENUM ('refresh_token_reuse', 'repeated_forbidden', 'failed_logins', 'new_network', 'session_network_change', 'reported');

-- CreateEnum
CREATE TYPE "AnomalyAction" AS ENUM ('flag', 'revoke_session', 'revoke_user', 'suspend_user');

-- CreateEnum
CREATE TYPE "AnomalyStatus" AS ENUM ('open', 'dismissed', 'confirmed');

-- CreateTable: one row per anomaly, written in the transaction of the revocation or suspension
-- its action caused. session_id and resolved_by carry no foreign key: the review outlives the
-- session, and an admin's deletion must not erase what they decided.
CREATE TABLE "anomalies" (
    "id" UUID NOT NULL,
    "type" "AnomalyType" NOT NULL,
    "user_id" UUID NOT NULL,
    "session_id" UUID,
    "action" "AnomalyAction" NOT NULL,
    "status" "AnomalyStatus" NOT NULL DEFAULT 'open',
    "network" TEXT,
    "details" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMPTZ(3),
    "resolved_by" UUID,
    "note" TEXT,

    CONSTRAINT "anomalies_pkey" PRIMARY KEY ("id")
);

-- CreateIndex: the review list (newest first, optionally per status/type) and a user's own events.
CREATE INDEX "anomalies_created_at_id_idx" ON "anomalies"("created_at", "id");
CREATE INDEX "anomalies_status_created_at_idx" ON "anomalies"("status", "created_at");
CREATE INDEX "anomalies_user_id_created_at_idx" ON "anomalies"("user_id", "created_at");

-- AddForeignKey
ALTER TABLE "anomalies" ADD CONSTRAINT "anomalies_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
