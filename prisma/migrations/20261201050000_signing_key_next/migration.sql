-- Keys published before use (issue 9): a `next` key is in the JWKS before it signs anything.
-- The value is only added here; nothing in this transaction uses it (PostgreSQL forbids that).
ALTER TYPE "SigningKeyStatus" ADD VALUE IF NOT EXISTS 'next' BEFORE 'active';
