-- Row-level security for the user-scoped tables (a user_id column), written by
-- `conformance fix`. Each user sees only rows whose user_id equals app.current_user_id, which
-- withUserContext() in src/client.ts sets per transaction.
--
-- src/schema.ts declares the same policies (pgPolicy), so `drizzle-kit generate` also writes
-- them into the journaled migration that creates the tables. drizzle's migrator runs only
-- journaled migrations: this file is for databases whose tables already exist, applied by hand
-- (psql "$DATABASE_URL" -f <this file>). It can run any number of times.
--
-- Policies do not bind the tables' owner, superusers or BYPASSRLS roles: the web app must
-- connect as another role for them to apply (the workers, which write for every user, may not).

ALTER TABLE habits ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS habits_user_isolation ON habits;
CREATE POLICY habits_user_isolation ON habits
  USING (user_id::text = current_setting('app.current_user_id', true));

ALTER TABLE checkins ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS checkins_user_isolation ON checkins;
CREATE POLICY checkins_user_isolation ON checkins
  USING (user_id::text = current_setting('app.current_user_id', true));
