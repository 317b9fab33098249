/**
 * @description Keeps Daily_Activity_Summary__c rows on the contact that holds their fitness
 * user id: links them when a contact gets the id, unlinks them when it loses it, and deletes
 * them with the contact (erasure). All logic is in ActivityContactLinks.
 */
trigger ActivityContactLink on Contact(after insert, after update, after delete, after undelete) {
  ActivityContactLinks.handle(Trigger.operationType, Trigger.new, Trigger.old);
}
