-- Per-account lockout counters when Redis is not configured (or is down). Keyed by a digest of
-- the normalized email, so unknown emails are counted like accounts and no email is stored.
CREATE TABLE "login_lockouts" (
    "key" TEXT NOT NULL,
    "failures" INTEGER NOT NULL,
    "level" INTEGER NOT NULL,
    "locked_until" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "login_lockouts_pkey" PRIMARY KEY ("key")
);

CREATE INDEX "login_lockouts_expires_at_idx" ON "login_lockouts"("expires_at");

-- Retention: rotated refresh tokens and ended sessions are found by these.
CREATE INDEX "refresh_tokens_used_at_idx" ON "refresh_tokens"("used_at");
CREATE INDEX "sessions_revoked_at_idx" ON "sessions"("revoked_at");
CREATE INDEX "sessions_expires_at_idx" ON "sessions"("expires_at");
