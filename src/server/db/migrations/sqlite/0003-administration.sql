-- SPDX-License-Identifier: GPL-3.0-or-later
-- 0003-administration.sql — the column types long_text, choice, url and
-- email with their constraints, and what the admin API archives and
-- disables.
--
-- content_columns is made again (SQLite cannot change a CHECK
-- constraint): the type may now be long_text, choice, url or email;
-- choices holds a choice column's allowed values (a JSON array of
-- strings), min_value and max_value the range of a number column (NULL:
-- none). Its schema triggers of 0002 go with the old table and are made
-- again below, unchanged.
--
-- applications and content_tables get an archived flag (an archived one
-- is left out of the lists people see; nothing is deleted), users a
-- disabled flag (sign-in refused, sessions revoked; personal data kept).

CREATE TABLE content_columns_new (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  table_id   INTEGER NOT NULL REFERENCES content_tables (id),
  position   INTEGER NOT NULL,
  name       TEXT NOT NULL,
  title      TEXT NOT NULL,
  type       TEXT NOT NULL CHECK (type IN ('text', 'integer', 'real', 'boolean', 'date',
                                           'long_text', 'choice', 'url', 'email')),
  required   INTEGER NOT NULL DEFAULT 0 CHECK (required IN (0, 1)),
  max_length INTEGER NOT NULL DEFAULT 0 CHECK (max_length >= 0),
  choices    TEXT,
  min_value  REAL,
  max_value  REAL,
  UNIQUE (table_id, name),
  UNIQUE (table_id, position)
);
INSERT INTO content_columns_new (id, table_id, position, name, title, type, required, max_length)
  SELECT id, table_id, position, name, title, type, required, max_length FROM content_columns;
DROP TABLE content_columns;
ALTER TABLE content_columns_new RENAME TO content_columns;

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

ALTER TABLE applications ADD COLUMN archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1));
ALTER TABLE content_tables ADD COLUMN archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1));
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));

-- The activity is read newest first, filtered by user or action.
CREATE INDEX audit_user ON audit ("user", id);
CREATE INDEX audit_action ON audit (action, id);

-- Idempotency keys of the admin API's writes: the answer given, replayed
-- for the same key and request (kept at least 24 h, like the others).
CREATE TABLE admin_idempotency_keys (
  username     TEXT NOT NULL,
  key          TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status       INTEGER NOT NULL,
  body         TEXT,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (username, key)
);
CREATE INDEX admin_idempotency_keys_created ON admin_idempotency_keys (created_at);
