import type { EmulatorContext } from '../../../simulators/salesforce/src/model.ts';
import type { MemoryRecordStore } from '../../../simulators/salesforce/src/store/types.ts';

/**
 * Sets a scenario's kill switch in the org emulator as a deployment of its
 * Integration_Setting__mdt record would (custom metadata has no API DML): the first call inserts
 * the record, later calls change its Enabled__c.
 * @param context the emulator's context, read at each call (the lab starts after the helper)
 * @param scenario the record's DeveloperName (AccountSync, BackgroundCheck)
 */
export function scenarioSwitch(
  context: () => EmulatorContext,
  scenario: string
): (enabled: boolean) => void {
  let switchId: string | undefined;
  return (enabled) => {
    const ctx = context();
    const store = ctx.store as MemoryRecordStore;
    if (switchId === undefined)
      switchId = store.insertAsSystem(
        'Integration_Setting__mdt',
        { DeveloperName: scenario, MasterLabel: scenario, Enabled__c: enabled },
        ctx.adminUser
      ).Id;
    else store.patchAsSystem('Integration_Setting__mdt', switchId, { Enabled__c: enabled });
  };
}
