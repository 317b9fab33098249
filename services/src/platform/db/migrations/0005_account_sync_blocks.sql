-- 0005_account_sync_blocks: Scenario 1 (Accounts from Salesforce to SAP).
--
-- account_sync_block: the central blocks the service set in SAP (the Delete of an account), one
-- row per business partner, written right after the block. An upsert of the account (undeleted)
-- lifts a block only when it is recorded here, and removes the row when it lifted it: a block SAP
-- set itself (credit, fraud, a clerk) is never lifted by an account update. Partners the service
-- blocked before this table existed have no row: their block stays until someone lifts it in
-- SAP (docs/account-sync.md, "Blocks").
CREATE TABLE IF NOT EXISTS account_sync_block (
  business_partner text PRIMARY KEY,
  account_id text NOT NULL,
  blocked_at timestamptz NOT NULL DEFAULT now()
);

-- Reconciliation skips accounts that already wait in the inbox (one lookup per account).
CREATE INDEX IF NOT EXISTS account_sync_inbox_account ON account_sync_inbox (account_id);
