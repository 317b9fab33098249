/**
 * @description Refuses a new version of a File linked to a passport application whose background
 * check is under way or approved; all logic lives in BackgroundCheckPhotoGuard.
 */
trigger BackgroundCheckPhotoVersionGuard on ContentVersion(before insert) {
  BackgroundCheckPhotoGuard.checkVersions(Trigger.new);
}
