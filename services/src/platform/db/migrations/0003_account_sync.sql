-- 0003_account_sync: Scenario 1 (Accounts from Salesforce to SAP).
--
-- account_sync_inbox: every Account_Sync__e event, written by the Pub/Sub handler before the
-- subscriber commits its replay id (so a crash cannot lose an event), consumed in batches by the
-- batch processor (coalesced per account) and deleted once the batch is done. Reconciliation
-- writes its findings here too: one path for everything.
CREATE TABLE IF NOT EXISTS account_sync_inbox (
  id bigserial PRIMARY KEY,
  account_id text NOT NULL,
  operation text NOT NULL CHECK (operation IN ('Create', 'Update', 'Delete')),
  changed_at timestamptz,
  sap_number text,
  source text NOT NULL DEFAULT 'event',
  received_at timestamptz NOT NULL DEFAULT now()
);

-- account_sync_create_intent: written before a business partner is created in SAP, removed once
-- SAP's number is written back to Salesforce. An intent found on the next attempt means a create
-- may have reached SAP (crash, timeout): SAP is searched by SearchTerm1 (the Salesforce id) first,
-- so a customer is never created twice.
CREATE TABLE IF NOT EXISTS account_sync_create_intent (
  account_id text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- account_sync_checkpoint: the newest Changed_At__c (the org's clock) of the events processed;
-- after a replay gap, reconciliation looks for accounts modified after it.
CREATE TABLE IF NOT EXISTS account_sync_checkpoint (
  name text PRIMARY KEY,
  checkpoint timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
