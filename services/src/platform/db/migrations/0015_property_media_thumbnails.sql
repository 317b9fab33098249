-- Scenario 6: the migration's thumbnail step, decoupled from the transfer (docs/
-- property-media-migration.md). The transfer takes a row pending -> uploaded -> recorded without a
-- thumbnail; the thumbnail phase then takes each uploaded or recorded row's thumbnail
--
--   pending -> stored (thumbnails/<key>.webp in storage, thumbnail_key set) -> recorded
--   (Thumbnail_Key__c upserted onto the existing Property_Image__c)
--
-- or to failed (the original cannot be decoded: reported, and the record is set Failed with the
-- reason, as the media service's confirmation does for an upload; thumbnail_failure_recorded says
-- it is, thumbnail_failure_error keeps Salesforce's refusal of that update until it is).
-- A failure that may pass counts thumbnail_attempts and keeps its reason in thumbnail_error.
-- thumbnail_claimed_by is the thumbnail phase's own claim (the advisory lock key of the run's
-- lease, as claimed_by), so it can overlap the transfer of other rows without either phase
-- releasing the other's claim.
ALTER TABLE media.migration_images
  ADD COLUMN thumbnail_state text NOT NULL DEFAULT 'pending'
    CHECK (thumbnail_state IN ('pending', 'stored', 'recorded', 'failed')),
  ADD COLUMN thumbnail_attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN thumbnail_error text,
  ADD COLUMN thumbnail_claimed_by bigint,
  ADD COLUMN thumbnail_failure_recorded boolean NOT NULL DEFAULT false,
  ADD COLUMN thumbnail_failure_error text;

-- Rows the old single-phase migration finished carry their thumbnail already.
UPDATE media.migration_images SET thumbnail_state = 'recorded'
 WHERE thumbnail_key IS NOT NULL AND state = 'recorded';
UPDATE media.migration_images SET thumbnail_state = 'stored'
 WHERE thumbnail_key IS NOT NULL AND state <> 'recorded';

CREATE INDEX migration_images_thumbnail_work ON media.migration_images (thumbnail_state)
  WHERE thumbnail_state IN ('pending', 'stored')
     OR (thumbnail_state = 'failed' AND NOT thumbnail_failure_recorded);
