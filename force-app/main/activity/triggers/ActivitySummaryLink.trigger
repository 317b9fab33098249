/**
 * @description Links each Daily_Activity_Summary__c to the contact whose Fitness_User_Id__c
 * equals the row's, as the activity service upserts it; the one trigger of the object. All
 * logic is in ActivitySummaryLinker.
 */
trigger ActivitySummaryLink on Daily_Activity_Summary__c(before insert, before update) {
  ActivitySummaryLinker.link(Trigger.new);
}
