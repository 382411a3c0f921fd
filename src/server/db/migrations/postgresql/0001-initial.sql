-- SPDX-License-Identifier: GPL-3.0-or-later
-- navette-server schema for PostgreSQL, version 1.
--
-- Applied by NavetteDbPg's migrate() inside one transaction, under a
-- transaction-scoped advisory lock, so several servers starting at once
-- on one database apply it exactly once. Times of administration data are
-- unix microseconds (bigint); times that plain-SQL users read
-- (table_last_modifications.last_update, content rows' updated_at) are
-- timestamptz.

-- ---- Change detection ----
-- One row per content table, '<app>.<table>', kept by the triggers below
-- and never by application code.
CREATE TABLE table_last_modifications (
  table_name  text PRIMARY KEY,
  last_update timestamptz,
  revision    bigint NOT NULL DEFAULT 0
);

-- AFTER INSERT/UPDATE/DELETE FOR EACH ROW on every content table;
-- TG_ARGV[0] is the table's '<app>.<table>'. The UPDATE row-locks the
-- table's row until the writing transaction ends, so writers of one table
-- take revisions in commit order (see docs/postgresql.md).
CREATE FUNCTION navette_touch_table () RETURNS trigger
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
  RETURN NULL;
END
$$;

-- BEFORE INSERT/UPDATE FOR EACH ROW on every content table: stamps the
-- row with the revision its AFTER trigger is about to give the table, so
-- `?since=` deltas see rows written by plain SQL too. Rows that the server
-- writes get their revision the same way. A current row edited in place
-- by plain SQL (without setting revision) is stamped again; marking a row
-- obsolete keeps its revision (the history does not move).
CREATE FUNCTION navette_stamp_row () RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  next_revision bigint;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.obsolete OR NEW.revision IS DISTINCT FROM OLD.revision THEN
      RETURN NEW;
    END IF;
  ELSIF NEW.revision IS NOT NULL THEN
    RETURN NEW;
  END IF;
  SELECT revision + 1 INTO next_revision
    FROM table_last_modifications
   WHERE table_name = TG_ARGV[0]
     FOR UPDATE;
  NEW.revision := COALESCE (next_revision, 1);
  RETURN NEW;
END
$$;

-- ---- Users, sessions, settings (administration data, updated in place) ----
CREATE TABLE users (
  id            bigserial PRIMARY KEY,
  username      text NOT NULL UNIQUE,
  display_name  text NOT NULL,
  password_hash text NOT NULL,
  admin         boolean NOT NULL DEFAULT false,
  created_at    bigint NOT NULL,
  updated_at    bigint NOT NULL
);

CREATE TABLE sessions (
  token_hash text PRIMARY KEY,
  user_id    bigint NOT NULL REFERENCES users (id),
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  revoked    boolean NOT NULL DEFAULT false
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE settings (
  key        text PRIMARY KEY,
  value      text NOT NULL,
  updated_at bigint NOT NULL
);

-- ---- Applications and their table schemas ----
CREATE TABLE applications (
  id         bigserial PRIMARY KEY,
  name       text NOT NULL UNIQUE,
  title      text NOT NULL,
  created_at bigint NOT NULL
);

-- Same names as the SQLite schema, except that a content table is not
-- called "<app>.<table>" here but sql_name, "c_<id>" (names of applications and tables
-- may each be 63 bytes, PostgreSQL identifiers may not be longer).
CREATE TABLE content_tables (
  id         bigserial PRIMARY KEY,
  app_id     bigint NOT NULL REFERENCES applications (id),
  name       text NOT NULL,
  title      text NOT NULL,
  sql_name   text NOT NULL UNIQUE,
  created_at bigint NOT NULL,
  UNIQUE (app_id, name)
);

CREATE TABLE content_columns (
  table_id   bigint NOT NULL REFERENCES content_tables (id),
  position   integer NOT NULL,
  name       text NOT NULL,
  title      text NOT NULL,
  type       text NOT NULL CHECK (type IN ('text', 'integer', 'real', 'boolean', 'date')),
  required   boolean NOT NULL DEFAULT false,
  max_length bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (table_id, name),
  UNIQUE (table_id, position)
);

-- ---- Role grants: versioned content, like any content table ----
-- One record per (username, app); a revocation is a new version with
-- role NULL. Its changes move table_last_modifications '_navette.role_grants'.
CREATE TABLE role_grants (
  record_id  uuid NOT NULL DEFAULT gen_random_uuid (),
  version    bigint NOT NULL DEFAULT 1,
  obsolete   boolean NOT NULL DEFAULT false,
  archived   boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp (),
  updated_by text NOT NULL DEFAULT current_user,
  revision   bigint NOT NULL,
  username   text NOT NULL REFERENCES users (username),
  app        text NOT NULL REFERENCES applications (name),
  role       text CHECK (role IN ('reader', 'editor')),
  PRIMARY KEY (record_id, version)
);
CREATE UNIQUE INDEX role_grants_current ON role_grants (record_id) WHERE NOT obsolete;
CREATE UNIQUE INDEX role_grants_user_app ON role_grants (username, app) WHERE NOT obsolete;
CREATE INDEX role_grants_revision ON role_grants (revision) WHERE NOT obsolete;

INSERT INTO table_last_modifications (table_name, last_update, revision)
VALUES ('_navette.role_grants', NULL, 0);

CREATE TRIGGER role_grants_stamp BEFORE INSERT OR UPDATE ON role_grants
  FOR EACH ROW EXECUTE FUNCTION navette_stamp_row ('_navette.role_grants');
CREATE TRIGGER role_grants_touch AFTER INSERT OR UPDATE OR DELETE ON role_grants
  FOR EACH ROW EXECUTE FUNCTION navette_touch_table ('_navette.role_grants');

-- ---- Audit ----
CREATE TABLE audit (
  id           bigserial PRIMARY KEY,
  at           bigint NOT NULL DEFAULT (extract (epoch FROM clock_timestamp ()) * 1000000)::bigint,
  "user"       text NOT NULL,
  action       text NOT NULL,
  app          text,
  "table"      text,
  record       text,
  from_version bigint,
  to_version   bigint,
  detail       text
);
CREATE INDEX audit_app ON audit (app, id);
CREATE INDEX audit_record ON audit (app, "table", record);

-- ---- Idempotency keys, written in the transaction of the write ----
CREATE TABLE idempotency_keys (
  username     text NOT NULL,
  key          text NOT NULL,
  request_hash text NOT NULL,
  app          text NOT NULL,
  "table"      text NOT NULL,
  record_id    uuid NOT NULL,
  version      bigint NOT NULL,
  created      boolean NOT NULL,
  superseded   text,
  created_at   bigint NOT NULL,
  PRIMARY KEY (username, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
