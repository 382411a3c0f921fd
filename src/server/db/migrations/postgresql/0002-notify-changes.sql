-- SPDX-License-Identifier: GPL-3.0-or-later
-- navette-server schema for PostgreSQL, version 2: change notifications.
--
-- Every change of table_last_modifications is also announced on the
-- channel 'navette_changes', with the table's '<app>.<table>' as payload,
-- when the writing transaction commits (PostgreSQL sends one notification
-- per distinct payload per transaction). A server LISTENs on it
-- (navette_db_pg_watch_changes) to drop its cached light-check answers
-- and push to its WebSocket clients when another server, or plain SQL,
-- changed a table.

CREATE OR REPLACE FUNCTION navette_touch_table () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE table_last_modifications
     SET revision = revision + 1,
         last_update = GREATEST (COALESCE (last_update, '-infinity'), clock_timestamp ())
   WHERE table_name = TG_ARGV[0];
  IF NOT FOUND THEN
    INSERT INTO table_last_modifications AS t (table_name, last_update, revision)
    VALUES (TG_ARGV[0], clock_timestamp (), 1)
    ON CONFLICT (table_name) DO UPDATE
      SET revision = t.revision + 1,
          last_update = GREATEST (COALESCE (t.last_update, '-infinity'), clock_timestamp ());
  END IF;
  PERFORM pg_notify ('navette_changes', TG_ARGV[0]);
  RETURN NULL;
END
$$;
