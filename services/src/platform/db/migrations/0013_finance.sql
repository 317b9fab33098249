-- Scenario 5: the Finance system's copy of Billing_Account__c and the export's bookkeeping, in a
-- schema of their own (Finance reads `finance.billing_account`; the rest is the export's).
CREATE SCHEMA IF NOT EXISTS finance;

-- One row per Salesforce billing account, columns named by the field mapping
-- (force-app/main/finance/staticresources/FinanceExportMapping.json). A row deleted in
-- Salesforce stays with is_deleted = true: Finance keeps what it invoiced.
CREATE TABLE finance.billing_account (
  salesforce_id text PRIMARY KEY CHECK (salesforce_id ~ '^[a-zA-Z0-9]{18}$'),
  system_modstamp timestamptz NOT NULL,
  is_deleted boolean NOT NULL DEFAULT false,
  account_number text NOT NULL,
  name text,
  account_id text,
  account_name text,
  status text,
  balance numeric(18, 2),
  credit_limit numeric(18, 2),
  currency_code text,
  billing_cycle text,
  payment_terms text,
  last_invoice_date date,
  next_invoice_date date,
  billing_email text,
  tax_id text,
  cost_center text,
  finance_notes text,
  -- Which export run wrote the row last, and when its merge committed.
  exported_run_id bigint NOT NULL,
  exported_at timestamptz NOT NULL
);
-- Not unique: a number may come back on a new record after the old one was deleted.
CREATE INDEX billing_account_number ON finance.billing_account (account_number);

-- One export run: planned, loaded chunk by chunk, merged at once. A run that did not finish is
-- resumed by the next invocation (same window, same jobs) unless it failed or was abandoned.
CREATE TABLE finance.export_runs (
  id bigserial PRIMARY KEY,
  target text NOT NULL,
  object text NOT NULL,
  mode text NOT NULL CHECK (mode IN ('incremental', 'full')),
  operation text NOT NULL CHECK (operation IN ('query', 'queryAll')),
  trigger text NOT NULL CHECK (trigger IN ('manual', 'schedule')),
  -- The nightly slot a scheduled run stands for.
  schedule_slot timestamptz,
  -- The SystemModstamp window: (since, until]; since is NULL for a full run.
  since timestamptz,
  until timestamptz NOT NULL,
  soql text NOT NULL,
  -- The whole mapping (query, columns, types, deletions) the run was planned with: a run is
  -- resumed only with the same one.
  mapping_hash text NOT NULL,
  state text NOT NULL DEFAULT 'running'
    CHECK (state IN ('running', 'succeeded', 'failed', 'abandoned')),
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  -- Rows and pages loaded into staging (over every attempt of the run), rows the merge wrote.
  records bigint NOT NULL DEFAULT 0,
  pages integer NOT NULL DEFAULT 0,
  merged bigint,
  chunks integer NOT NULL DEFAULT 0,
  -- Salesforce API calls of every attempt, and how often the run was resumed.
  api_calls integer NOT NULL DEFAULT 0,
  attempts integer NOT NULL DEFAULT 1,
  duration_ms bigint,
  error text
);
CREATE UNIQUE INDEX export_runs_one_running ON finance.export_runs (target) WHERE state = 'running';
CREATE INDEX export_runs_recent ON finance.export_runs (target, started_at DESC);

-- One Bulk API 2.0 query job of a run over an Id range (one chunk without ranges). The job id
-- is recorded before anything is read, and next_locator after each page is loaded, in the same
-- transaction as the page's rows: a restart resumes at the first page not loaded.
CREATE TABLE finance.export_chunks (
  run_id bigint NOT NULL REFERENCES finance.export_runs (id) ON DELETE CASCADE,
  chunk_no integer NOT NULL,
  id_from text,
  id_to text,
  soql text NOT NULL,
  expected bigint NOT NULL DEFAULT 0,
  job_id text,
  job_records bigint,
  next_locator text,
  done boolean NOT NULL DEFAULT false,
  pages integer NOT NULL DEFAULT 0,
  records bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, chunk_no)
);

-- Where the next incremental run starts: the `until` of the last run that merged.
CREATE TABLE finance.export_watermarks (
  target text PRIMARY KEY,
  object text NOT NULL,
  system_modstamp timestamptz NOT NULL,
  run_id bigint NOT NULL REFERENCES finance.export_runs (id),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The last nightly slot the schedule ran (or caught up) for a target.
CREATE TABLE finance.export_schedule (
  target text PRIMARY KEY,
  last_slot timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
