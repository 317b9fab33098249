-- 0004_payments: Scenario 2 (card payments through the ESB to the SecurePay gateway).
--
-- payment_requests: one row per Idempotency-Key. The INSERT ... ON CONFLICT DO NOTHING of the
-- first request decides which caller (of any instance) charges; the others read the row and wait
-- until it is completed. request_hash is the SHA-256 of the canonical request (amount, currency,
-- token, reference, record id): the same key with another body is refused (422). status Pending
-- while the gateway is called, then the canonical status; Unknown (gateway timeout) rows are
-- reconciled by asking the gateway for order_id. No card data is stored: the token's last 4 only.
CREATE TABLE IF NOT EXISTS payment_requests (
  idempotency_key text PRIMARY KEY,
  request_hash text NOT NULL,
  order_id text NOT NULL,
  amount_minor bigint NOT NULL,
  currency text NOT NULL,
  token_last4 text NOT NULL,
  status text NOT NULL DEFAULT 'Pending'
    CHECK (status IN ('Pending', 'Authorised', 'Declined', 'Error', 'Unknown')),
  http_status integer,
  response jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  reconciled_at timestamptz
);

-- Operators' view: what is still open (Pending/Unknown) and needs reconciliation.
CREATE INDEX IF NOT EXISTS payment_requests_open_idx
  ON payment_requests (created_at)
  WHERE status IN ('Pending', 'Unknown');
