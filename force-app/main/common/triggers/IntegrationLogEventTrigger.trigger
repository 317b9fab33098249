/**
 * @description Stores integration log events as Integration_Log__c records. Runs as the
 * Automated Process user (or the user of IntegrationLogEventTriggerConfig); all logic lives in
 * IntegrationLogEventSubscriber.
 */
trigger IntegrationLogEventTrigger on Integration_Log_Event__e(after insert) {
  IntegrationLogEventSubscriber.handle(Trigger.new);
}
