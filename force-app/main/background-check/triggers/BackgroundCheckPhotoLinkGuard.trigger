/**
 * @description Refuses a new File link to a passport application whose background check is under
 * way or approved; all logic lives in BackgroundCheckPhotoGuard.
 */
trigger BackgroundCheckPhotoLinkGuard on ContentDocumentLink(before insert) {
  BackgroundCheckPhotoGuard.checkLinks(Trigger.new);
}
