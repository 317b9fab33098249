/**
 * @description Keeps Daily_Activity_Summary__c rows on the contact that holds their fitness
 * user id: links them when a contact gets the id, unlinks them when it loses it, and deletes
 * them with the contact (erasure). All logic is in ActivityContactLinks.
 */
trigger ActivityContactLink on Contact(after insert, after update, after delete, after undelete) {
  if (Trigger.isInsert || Trigger.isUndelete) {
    ActivityContactLinks.afterInsertOrUndelete(Trigger.new);
  } else if (Trigger.isUpdate) {
    ActivityContactLinks.afterUpdate(Trigger.new, Trigger.oldMap);
  } else if (Trigger.isDelete) {
    ActivityContactLinks.afterDelete(Trigger.old);
  }
}
