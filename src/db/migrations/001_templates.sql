-- Workflow templates (src/templates/store.ts). A template is a name; its content lives in
-- immutable numbered versions. Deleting hides the name but keeps the versions, so a job that
-- names (name, version) can still read it, and a re-created name continues the numbering: a
-- (name, version) pair always means the same content.
CREATE TABLE templates (
  name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
  latest_version INTEGER NOT NULL CHECK (latest_version >= 1),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER
) STRICT;

CREATE TABLE template_versions (
  name TEXT NOT NULL COLLATE NOCASE REFERENCES templates (name),
  version INTEGER NOT NULL CHECK (version >= 1),
  workflow TEXT NOT NULL,            -- API-format JSON (UI uploads are stored converted)
  parameters TEXT NOT NULL,          -- the parameter declarations as given (JSON object)
  description TEXT,
  source_format TEXT NOT NULL CHECK (source_format IN ('api', 'wrapped', 'ui')),
  content_hash TEXT NOT NULL,        -- sha256 of canonical {workflow, parameters, description}
  created_at INTEGER NOT NULL,
  PRIMARY KEY (name, version)
) STRICT;

CREATE INDEX template_versions_by_hash ON template_versions (name, content_hash);
