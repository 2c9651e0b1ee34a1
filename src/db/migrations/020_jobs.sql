-- Jobs, their attempts and outputs. A job is the unit a client sees; an attempt is one try on one
-- backend (one ComfyUI prompt id). Times are epoch milliseconds.
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
CREATE INDEX jobs_status_order ON jobs (status, priority DESC, seq);
CREATE INDEX jobs_template ON jobs (template, status);
CREATE UNIQUE INDEX jobs_idempotency ON jobs (owner, idempotency_key) WHERE idempotency_key IS NOT NULL;

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
CREATE INDEX job_attempts_prompt ON job_attempts (prompt_id);

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
