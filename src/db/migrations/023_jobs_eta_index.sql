-- ETAs read the latest finished jobs of a template on every job view: serve that from an index
-- (status, template, seq) instead of sorting every finished job of the template each time.
CREATE INDEX jobs_finished_by_template ON jobs (status, template, seq DESC);
