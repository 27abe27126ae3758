-- Account recovery and email verification (API.md).

-- Users: when the address was verified. Accounts that exist before this migration count as
-- verified: they were created when Gatehouse did not ask, and REQUIRE_EMAIL_VERIFICATION=true
-- must not lock every existing user out at once.
ALTER TABLE "users" ADD COLUMN "email_verified_at" TIMESTAMPTZ(3);
UPDATE "users" SET "email_verified_at" = CURRENT_TIMESTAMP;

-- CreateEnum
CREATE TYPE "AccountTokenKind" AS ENUM ('password_reset', 'email_verification', 'email_change');

-- CreateTable: tokens mailed as links, stored only as SHA-256. Single use (used_at), superseded by
-- a newer one of the same kind or invalidated by a password or email change (invalidated_at).
CREATE TABLE "account_tokens" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "kind" "AccountTokenKind" NOT NULL,
    "token_hash" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "session_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),
    "invalidated_at" TIMESTAMPTZ(3),
    "invalidated_reason" TEXT,

    CONSTRAINT "account_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable: POST /auth/password/forgot only records the request (the same work whether or not
-- the account exists); a worker turns it into a token and a mail.
CREATE TABLE "password_reset_requests" (
    "id" BIGSERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "ip" TEXT,
    "user_agent" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMPTZ(3),
    "outcome" TEXT,

    CONSTRAINT "password_reset_requests_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "account_tokens_token_hash_key" ON "account_tokens"("token_hash");

-- CreateIndex
CREATE INDEX "account_tokens_user_id_kind_idx" ON "account_tokens"("user_id", "kind");

-- CreateIndex
CREATE INDEX "password_reset_requests_email_created_at_idx" ON "password_reset_requests"("email", "created_at");

-- CreateIndex
CREATE INDEX "password_reset_requests_processed_at_id_idx" ON "password_reset_requests"("processed_at", "id");

-- AddForeignKey
ALTER TABLE "account_tokens" ADD CONSTRAINT "account_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
