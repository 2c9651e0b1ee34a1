-- Uploaded files, stored once by content hash (DATA_DIR/uploads/<sha256>); a row per owner so
-- that another key cannot use (or learn about) someone else's upload.
CREATE TABLE uploads (
  id TEXT NOT NULL,                        -- sha256 of the bytes, hex
  owner TEXT NOT NULL DEFAULT '',
  size INTEGER NOT NULL,
  mime TEXT NOT NULL,
  filename TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (id, owner)
);
