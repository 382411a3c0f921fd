-- SPDX-License-Identifier: GPL-3.0-or-later
-- navette-server schema for PostgreSQL, version 4: the column types
-- long_text, choice, url and email with their constraints, and what the
-- admin API archives and disables.
--
-- content_columns: the type may now be long_text, choice, url or email;
-- choices holds a choice column's allowed values (a JSON array of
-- strings), min_value and max_value the range of a number column (NULL:
-- none). applications and content_tables get an archived flag (an
-- archived one is left out of the lists people see; nothing is deleted),
-- users a disabled flag (sign-in refused, sessions revoked; personal data
-- kept).

ALTER TABLE content_columns DROP CONSTRAINT content_columns_type_check;
ALTER TABLE content_columns ADD CONSTRAINT content_columns_type_check
  CHECK (type IN ('text', 'integer', 'real', 'boolean', 'date', 'long_text', 'choice', 'url', 'email'));
ALTER TABLE content_columns ADD COLUMN choices text;
ALTER TABLE content_columns ADD COLUMN min_value double precision;
ALTER TABLE content_columns ADD COLUMN max_value double precision;

ALTER TABLE applications ADD COLUMN archived boolean NOT NULL DEFAULT false;
ALTER TABLE content_tables ADD COLUMN archived boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN disabled boolean NOT NULL DEFAULT false;

-- The activity is read newest first, filtered by user or action.
CREATE INDEX audit_user ON audit ("user", id);
CREATE INDEX audit_action ON audit (action, id);

-- Idempotency keys of the admin API's writes: the answer given, replayed
-- for the same key and request (kept at least 24 h, like the others).
CREATE TABLE admin_idempotency_keys (
  username     text NOT NULL,
  key          text NOT NULL,
  request_hash text NOT NULL,
  status       integer NOT NULL,
  body         text,
  created_at   bigint NOT NULL,
  PRIMARY KEY (username, key)
);
CREATE INDEX admin_idempotency_keys_created ON admin_idempotency_keys (created_at);
