-- SPEC §14: through pgbouncer's transaction pooling a client may send no startup parameters beyond user and
-- database, and may not SET anything for its session. What the pool used to send at connect time becomes the
-- database's default instead, which every new server session (direct or pooled) starts with:
--   statement_timeout 10 s: a stuck statement fails (503) instead of holding a connection;
--   client_encoding UTF8: the hand-written SQL quotes strings with escapeLiteral.
-- Needs the database's owner (or a superuser). Otherwise a warning says what to run, and the migration goes on.
DO $$
BEGIN
  EXECUTE format('ALTER DATABASE %I SET statement_timeout = %L', current_database(), '10s');
  EXECUTE format('ALTER DATABASE %I SET client_encoding = %L', current_database(), 'UTF8');
EXCEPTION WHEN insufficient_privilege THEN
  RAISE WARNING 'gatehouse: not allowed to set defaults on database %; run as its owner: ALTER DATABASE % SET statement_timeout = ''10s''; ALTER DATABASE % SET client_encoding = ''UTF8'';',
    current_database(), quote_ident(current_database()), quote_ident(current_database());
END $$;
