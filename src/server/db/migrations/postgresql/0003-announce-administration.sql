-- SPDX-License-Identifier: GPL-3.0-or-later
-- navette-server schema for PostgreSQL, version 3: schema revisions, and
-- notifications of schema and role changes.
--
-- schema_revisions holds one row per application: its revision grows by
-- one for every row of applications, content_tables or content_columns
-- of that application written (added, changed, removed) by anyone — the
-- server's commands, another server process, plain SQL. Kept ONLY by the
-- triggers below, like table_last_modifications. The application light
-- check's ETag includes it.
--
-- Besides '<app>.<table>' (0002), the channel 'navette_changes' now
-- carries, when the writing transaction commits:
--   'schema:<app>'     the application's schema changed (schema_revisions);
--   'roles:<username>' a grant of that user was written (role_grants).
-- A server LISTENing on it (navette-db-pg-watch.c) announces them on its
-- WebSockets ({"type": "schema"}, {"type": "roles"}). Names of
-- applications never hold ':' nor '.', so the three forms cannot be
-- mistaken for one another.

CREATE TABLE schema_revisions (
  app      text PRIMARY KEY,
  revision bigint NOT NULL DEFAULT 0
);

INSERT INTO schema_revisions (app, revision) SELECT name, 1 FROM applications;

CREATE FUNCTION navette_bump_schema (app_name text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF app_name IS NULL THEN
    RETURN;
  END IF;
  INSERT INTO schema_revisions AS s (app, revision) VALUES (app_name, 1)
  ON CONFLICT (app) DO UPDATE SET revision = s.revision + 1;
  PERFORM pg_notify ('navette_changes', 'schema:' || app_name);
END
$$;

-- AFTER INSERT/UPDATE/DELETE FOR EACH ROW on applications, content_tables
-- and content_columns: the application the row belongs to (before and
-- after, when it moved).
CREATE FUNCTION navette_touch_schema () RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  new_app text;
  old_app text;
BEGIN
  IF TG_TABLE_NAME = 'applications' THEN
    IF TG_OP <> 'DELETE' THEN
      new_app := NEW.name;
    END IF;
    IF TG_OP <> 'INSERT' THEN
      old_app := OLD.name;
    END IF;
  ELSIF TG_TABLE_NAME = 'content_tables' THEN
    IF TG_OP <> 'DELETE' THEN
      SELECT name INTO new_app FROM applications WHERE id = NEW.app_id;
    END IF;
    IF TG_OP <> 'INSERT' THEN
      SELECT name INTO old_app FROM applications WHERE id = OLD.app_id;
    END IF;
  ELSE
    IF TG_OP <> 'DELETE' THEN
      SELECT a.name INTO new_app FROM content_tables t JOIN applications a ON a.id = t.app_id
       WHERE t.id = NEW.table_id;
    END IF;
    IF TG_OP <> 'INSERT' THEN
      SELECT a.name INTO old_app FROM content_tables t JOIN applications a ON a.id = t.app_id
       WHERE t.id = OLD.table_id;
    END IF;
  END IF;
  PERFORM navette_bump_schema (new_app);
  IF old_app IS DISTINCT FROM new_app THEN
    PERFORM navette_bump_schema (old_app);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER applications_schema AFTER INSERT OR UPDATE OR DELETE ON applications
  FOR EACH ROW EXECUTE FUNCTION navette_touch_schema ();
CREATE TRIGGER content_tables_schema AFTER INSERT OR UPDATE OR DELETE ON content_tables
  FOR EACH ROW EXECUTE FUNCTION navette_touch_schema ();
CREATE TRIGGER content_columns_schema AFTER INSERT OR UPDATE OR DELETE ON content_columns
  FOR EACH ROW EXECUTE FUNCTION navette_touch_schema ();

-- AFTER INSERT/UPDATE/DELETE FOR EACH ROW on role_grants: the user whose
-- grant it is (PostgreSQL sends one notification per distinct payload per
-- transaction: marking a version obsolete and inserting the next one
-- notify once).
CREATE FUNCTION navette_touch_roles () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'DELETE' THEN
    PERFORM pg_notify ('navette_changes', 'roles:' || NEW.username);
  END IF;
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify ('navette_changes', 'roles:' || OLD.username);
  ELSIF TG_OP = 'UPDATE' THEN
    IF OLD.username IS DISTINCT FROM NEW.username THEN
      PERFORM pg_notify ('navette_changes', 'roles:' || OLD.username);
    END IF;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER role_grants_roles AFTER INSERT OR UPDATE OR DELETE ON role_grants
  FOR EACH ROW EXECUTE FUNCTION navette_touch_roles ();
