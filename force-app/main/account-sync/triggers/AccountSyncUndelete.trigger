/**
 * @description Account undelete publishes Account_Sync__e: record-triggered flows do not fire on
 * undelete, so without this trigger an account restored from the recycle bin would stay blocked
 * in SAP. All logic is in AccountUndeleteHandler.
 */
trigger AccountSyncUndelete on Account(after undelete) {
  AccountUndeleteHandler.afterUndelete(Trigger.new);
}
