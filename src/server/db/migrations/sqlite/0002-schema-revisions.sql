-- SPDX-License-Identifier: GPL-3.0-or-later
-- 0002-schema-revisions.sql — a revision per application's schema.
--
-- schema_revisions holds one row per application: its revision grows by
-- one for every row of applications, content_tables or content_columns
-- of that application written (added, changed, removed) by anyone — the
-- server's commands, another server process, plain SQL. Kept ONLY by the
-- triggers below, never by application code, like
-- table_last_modifications. The application light check's ETag includes
-- it (so it moves when a table or a column is added, retitled or
-- archived), and the server's change watch announces the application's
-- schema on the WebSocket when it moves (navette-db-sqlite-watch.c).

CREATE TABLE schema_revisions (
  app      TEXT PRIMARY KEY NOT NULL,
  revision INTEGER NOT NULL DEFAULT 0
);

INSERT INTO schema_revisions (app, revision) SELECT name, 1 FROM applications;

CREATE TRIGGER applications_after_insert_schema AFTER INSERT ON applications
BEGIN
  INSERT INTO schema_revisions (app, revision) VALUES (NEW.name, 1)
    ON CONFLICT (app) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER applications_after_update_schema AFTER UPDATE ON applications
BEGIN
  INSERT INTO schema_revisions (app, revision) VALUES (NEW.name, 1)
    ON CONFLICT (app) DO UPDATE SET revision = revision + 1;
  INSERT INTO schema_revisions (app, revision) SELECT OLD.name, 1 WHERE OLD.name IS NOT NEW.name
    ON CONFLICT (app) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER applications_after_delete_schema AFTER DELETE ON applications
BEGIN
  INSERT INTO schema_revisions (app, revision) VALUES (OLD.name, 1)
    ON CONFLICT (app) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER content_tables_after_insert_schema AFTER INSERT ON content_tables
BEGIN
  INSERT INTO schema_revisions (app, revision) SELECT name, 1 FROM applications WHERE id = NEW.app_id
    ON CONFLICT (app) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER content_tables_after_update_schema AFTER UPDATE ON content_tables
BEGIN
  INSERT INTO schema_revisions (app, revision) SELECT name, 1 FROM applications WHERE id = NEW.app_id
    ON CONFLICT (app) DO UPDATE SET revision = revision + 1;
  INSERT INTO schema_revisions (app, revision) SELECT name, 1 FROM applications
    WHERE id = OLD.app_id AND OLD.app_id IS NOT NEW.app_id
    ON CONFLICT (app) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER content_tables_after_delete_schema AFTER DELETE ON content_tables
BEGIN
  INSERT INTO schema_revisions (app, revision) SELECT name, 1 FROM applications WHERE id = OLD.app_id
    ON CONFLICT (app) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER content_columns_after_insert_schema AFTER INSERT ON content_columns
BEGIN
  INSERT INTO schema_revisions (app, revision)
    SELECT a.name, 1 FROM content_tables t JOIN applications a ON a.id = t.app_id
    WHERE t.id = NEW.table_id
    ON CONFLICT (app) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER content_columns_after_update_schema AFTER UPDATE ON content_columns
BEGIN
  INSERT INTO schema_revisions (app, revision)
    SELECT a.name, 1 FROM content_tables t JOIN applications a ON a.id = t.app_id
    WHERE t.id = NEW.table_id
    ON CONFLICT (app) DO UPDATE SET revision = revision + 1;
  INSERT INTO schema_revisions (app, revision)
    SELECT a.name, 1 FROM content_tables t JOIN applications a ON a.id = t.app_id
    WHERE t.id = OLD.table_id AND OLD.table_id IS NOT NEW.table_id
    ON CONFLICT (app) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER content_columns_after_delete_schema AFTER DELETE ON content_columns
BEGIN
  INSERT INTO schema_revisions (app, revision)
    SELECT a.name, 1 FROM content_tables t JOIN applications a ON a.id = t.app_id
    WHERE t.id = OLD.table_id
    ON CONFLICT (app) DO UPDATE SET revision = revision + 1;
END;
