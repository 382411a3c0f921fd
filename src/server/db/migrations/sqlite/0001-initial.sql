-- SPDX-License-Identifier: GPL-3.0-or-later
-- 0001-initial.sql — the first schema of navette-server on SQLite.
--
-- Applied by the server itself (NavetteDbSqlite's migrate), in one
-- transaction, recorded in schema_version. Never edit a migration that has
-- shipped: add NNNN-name.sql after it.
--
-- Times are INTEGER unix microseconds everywhere. Values written by
-- triggers (table_last_modifications.last_update) come from SQLite's clock,
-- which has millisecond resolution.
--
-- Content tables themselves ("app.table", one per application table) are
-- created by table_add, with their triggers; see navette-db-sqlite.c.

-- Kept ONLY by triggers on every content table (and on role_grants):
-- table_name is '<app>.<table>', revision grows by one per row written.
CREATE TABLE table_last_modifications (
  table_name  TEXT PRIMARY KEY NOT NULL,
  last_update INTEGER NOT NULL,
  revision    INTEGER NOT NULL DEFAULT 0
);

-- Administration and personal data: updated in place, changes audited.
CREATE TABLE users (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  username      TEXT NOT NULL UNIQUE,
  display_name  TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  admin         INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);

-- Tokens are stored hashed; a session is never deleted before it expired.
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY NOT NULL,
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked    INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE settings (
  key        TEXT PRIMARY KEY NOT NULL,
  value      TEXT,
  updated_at INTEGER NOT NULL
);

-- Applications and the schema of their tables.
CREATE TABLE applications (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT NOT NULL UNIQUE,
  title      TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE content_tables (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  app_id     INTEGER NOT NULL REFERENCES applications (id),
  name       TEXT NOT NULL,
  title      TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (app_id, name)
);

CREATE TABLE content_columns (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  table_id   INTEGER NOT NULL REFERENCES content_tables (id),
  position   INTEGER NOT NULL,
  name       TEXT NOT NULL,
  title      TEXT NOT NULL,
  type       TEXT NOT NULL CHECK (type IN ('text', 'integer', 'real', 'boolean', 'date')),
  required   INTEGER NOT NULL DEFAULT 0 CHECK (required IN (0, 1)),
  max_length INTEGER NOT NULL DEFAULT 0 CHECK (max_length >= 0),
  UNIQUE (table_id, name),
  UNIQUE (table_id, position)
);

-- Role grants are content: a versioned table like the content tables.
-- A revocation is a new version with role NULL and archived = 1.
CREATE TABLE role_grants (
  row_id     INTEGER PRIMARY KEY,
  record_id  TEXT NOT NULL,
  version    INTEGER NOT NULL CHECK (version >= 1),
  obsolete   INTEGER NOT NULL DEFAULT 0 CHECK (obsolete IN (0, 1)),
  archived   INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL,
  revision   INTEGER NOT NULL DEFAULT 0,
  username   TEXT NOT NULL REFERENCES users (username),
  app        TEXT NOT NULL REFERENCES applications (name),
  role       TEXT CHECK (role IS NULL OR role IN ('reader', 'editor')),
  UNIQUE (record_id, version)
);
CREATE UNIQUE INDEX role_grants_current ON role_grants (record_id) WHERE obsolete = 0;
CREATE UNIQUE INDEX role_grants_user_app ON role_grants (username, app) WHERE obsolete = 0;
CREATE INDEX role_grants_revision ON role_grants (obsolete, revision);

CREATE TRIGGER role_grants_after_insert AFTER INSERT ON role_grants
BEGIN
  INSERT INTO table_last_modifications (table_name, last_update, revision)
    VALUES ('_navette.role_grants',
            CAST(strftime('%s', 'now') AS INTEGER) * 1000000
              + CAST(substr(strftime('%f', 'now'), 4) AS INTEGER) * 1000,
            1)
    ON CONFLICT (table_name) DO UPDATE
      SET last_update = excluded.last_update, revision = revision + 1;
END;

CREATE TRIGGER role_grants_after_update AFTER UPDATE ON role_grants
BEGIN
  INSERT INTO table_last_modifications (table_name, last_update, revision)
    VALUES ('_navette.role_grants',
            CAST(strftime('%s', 'now') AS INTEGER) * 1000000
              + CAST(substr(strftime('%f', 'now'), 4) AS INTEGER) * 1000,
            1)
    ON CONFLICT (table_name) DO UPDATE
      SET last_update = excluded.last_update, revision = revision + 1;
END;

CREATE TRIGGER role_grants_after_delete AFTER DELETE ON role_grants
BEGIN
  INSERT INTO table_last_modifications (table_name, last_update, revision)
    VALUES ('_navette.role_grants',
            CAST(strftime('%s', 'now') AS INTEGER) * 1000000
              + CAST(substr(strftime('%f', 'now'), 4) AS INTEGER) * 1000,
            1)
    ON CONFLICT (table_name) DO UPDATE
      SET last_update = excluded.last_update, revision = revision + 1;
END;

-- One row per change: content writes and administration actions.
CREATE TABLE audit (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  at           INTEGER NOT NULL,
  user         TEXT NOT NULL,
  action       TEXT NOT NULL,
  app          TEXT,
  "table"      TEXT,
  record       TEXT,
  from_version INTEGER,
  to_version   INTEGER,
  detail       TEXT
);
CREATE INDEX audit_app ON audit (app, id);
CREATE INDEX audit_record ON audit (app, "table", record);

-- Idempotency keys, written in the same transaction as the write they
-- protect, kept at least 24 h (purge).
CREATE TABLE idempotency_keys (
  username     TEXT NOT NULL,
  key          TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  app          TEXT NOT NULL,
  "table"      TEXT NOT NULL,
  record_id    TEXT NOT NULL,
  version      INTEGER NOT NULL,
  created      INTEGER NOT NULL CHECK (created IN (0, 1)),
  superseded   TEXT,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (username, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
