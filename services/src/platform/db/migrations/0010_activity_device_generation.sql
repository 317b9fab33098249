-- Revocable device logins (activity, Scenario 4): a device's broker password is derived for its
-- key generation; the registry bumps the generation when the device moves to another user, so the
-- previous owner's key stops working. Generation 0 is the original derivation (existing devices
-- keep their passwords).
ALTER TABLE activity_devices ADD COLUMN key_generation integer NOT NULL DEFAULT 0;

-- The last generation of an unregistered device: registering the id again continues after it, so
-- a deleted device's old key never comes back to life.
CREATE TABLE activity_device_retired_keys (
  device_id text PRIMARY KEY,
  key_generation integer NOT NULL
);
