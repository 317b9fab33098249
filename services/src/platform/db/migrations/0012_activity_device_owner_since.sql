-- 0012_activity_device_owner_since: a device's readings belong to the user who owned it when they
-- were taken. A device that moves to another user (resold, reassigned) still has readings queued
-- in the broker, redelivered or late (up to the late window) from before the move: the ingest
-- statement drops readings older than owner_since, so they are never credited to the new owner.
-- '-infinity' for devices that never changed hands (every reading is theirs).
ALTER TABLE activity_devices ADD COLUMN owner_since timestamptz NOT NULL DEFAULT '-infinity';
