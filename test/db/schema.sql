CREATE TABLE job_attempts (
  job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  n INTEGER NOT NULL,
  backend_id TEXT NOT NULL,
  prompt_id TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  outcome TEXT,                           -- succeeded | failed | infrastructure | cancelled | timeout
  error TEXT,
  PRIMARY KEY (job_id, n)
);

CREATE TABLE job_outputs (
  job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  n INTEGER NOT NULL,
  node_id TEXT NOT NULL,
  kind TEXT NOT NULL,                     -- images | video | audio | ... (the history output key)
  filename TEXT NOT NULL,
  subfolder TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL DEFAULT 'output',
  backend_id TEXT NOT NULL,
  PRIMARY KEY (job_id, n)
);

CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,            -- FIFO order and cursor for listing
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  owner TEXT NOT NULL DEFAULT '',
  template TEXT,
  template_version INTEGER,
  prompt TEXT NOT NULL,                   -- the exact API-format prompt that runs
  params TEXT,
  priority INTEGER NOT NULL DEFAULT 0,    -- higher runs first
  timeout_ms INTEGER,
  webhook TEXT,
  metadata TEXT NOT NULL DEFAULT '{}',
  requirements TEXT NOT NULL DEFAULT '{}', -- node classes and model files the prompt needs
  idempotency_key TEXT,
  request_hash TEXT,
  backend_id TEXT,
  prompt_id TEXT,                         -- ComfyUI prompt id of the current/last attempt
  attempts INTEGER NOT NULL DEFAULT 0,
  progress TEXT,
  error TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  comfy_ms INTEGER                        -- time spent inside ComfyUI (execution_start → end)
);

CREATE TABLE migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);

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

CREATE TABLE templates (
  name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
  latest_version INTEGER NOT NULL CHECK (latest_version >= 1),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER
) STRICT;

CREATE TABLE uploads (
  id TEXT NOT NULL,                        -- sha256 of the bytes, hex
  owner TEXT NOT NULL DEFAULT '',
  size INTEGER NOT NULL,
  mime TEXT NOT NULL,
  filename TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (id, owner)
);

CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,                    -- the webhook-id header: stable across retries
  job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  event TEXT NOT NULL,
  url TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER,                        -- null once delivered or given up
  last_status INTEGER,
  last_error TEXT,
  delivered_at INTEGER,
  created_at INTEGER NOT NULL
);

CREATE INDEX job_attempts_prompt ON job_attempts (prompt_id);

CREATE INDEX jobs_finished_by_template ON jobs (status, template, seq DESC);

CREATE UNIQUE INDEX jobs_idempotency ON jobs (owner, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE INDEX jobs_status_order ON jobs (status, priority DESC, seq);

CREATE INDEX jobs_template ON jobs (template, status);

CREATE INDEX template_versions_by_hash ON template_versions (name, content_hash);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE next_at IS NOT NULL;

CREATE INDEX webhook_deliveries_job ON webhook_deliveries (job_id);
