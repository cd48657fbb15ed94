"""Go-live announcements and reminders: the right message, at the right time, once per recipient.

Design note
===========

Records. Every message is a `NoticeDelivery` row keyed by (filer, go-live, notice) under a database
UniqueConstraint (the go-live names the court and the rollout, so a court's next rollout has notices of
its own), where `notice` names the occurrence: "prepare", "golive", "reminder_<day>",
"reminder_manual_<date>", "date_changed_<GoLiveChange id>". A row moves pending → sending →
sent / failed / skipped (with `skip_reason`) / bounced. The row is the queue: what is due, being
sent, waiting for a retry or lost is read from the table, never from the broker.

Finding what is due (`dispatch.py`, beat every NOTICES_DISPATCH_INTERVAL_SECONDS). For each go-live
of the current rollout, in the court's own time zone: prepare from `go_live_date -
prepare_days_before` until live; go-live from `live_at`; reminders on each `reminder_days_after`
day (the latest that has come), each within NOTICES_CATCH_UP_DAYS. Recipients come from
`accounts.selectors.cmecf_accounts_with_readiness` (linked filers get nothing, unsubscribed ones no
reminder, undeliverable addresses nothing) minus those who have the row (an anti-join), inserted
with INSERT … ON CONFLICT DO NOTHING. Two dispatchers at once: the constraint keeps one row.

Publishing (`deliveries_publish`). Pending, unpublished rows whose `next_attempt_at` has come are
locked (SKIP LOCKED on PostgreSQL), stamped `queued_at`, and published after commit as send tasks
of ≤ NOTICES_CHUNK_SIZE ids: one broker message per chunk, in a queue of their own (NOTICES_QUEUE),
which the worker takes from in turn with the default queue, so a campaign's backlog never holds up
beat's sweep and dispatch or a filer's status link. No task is ever published with a countdown or ETA.

Sending (`sending.py`, task `send_deliveries`). Claim: `UPDATE … SET state=sending, claimed_by=<token>
WHERE id IN (…) AND state=pending`, with a fresh token for every execution (never the task id), then
read back only this execution's rows: a chunk published twice, or redelivered by the broker, claims
nothing, and never takes back rows an earlier execution left `sending` (the sweeper's). Rows no longer due are skipped with the
reason. Then ONE connection of Django's email backend; per row, in id order: build the message
(`messages.py`: the court's template as edited in the admin, rendered by `rendering.py` for this
filer as of now), wait for the rate cap
(NOTICES_MAX_PER_SECOND per process), `EmailMultiAlternatives.send()`, and right after the server
accepted it one plain ORM UPDATE, committed, marks the row sent with its Message-ID (only if this
execution still holds it). So at any moment at most one accepted message per sender is not recorded:
the one in flight. Senders run as the processes of the worker's prefork pool (the Procfile's), one
chunk each, so a campaign uses every core and one sender's SMTP waits overlap another's work.
- Message-ID `<delivery-<id>.<court>@<domain>>`, the same on every attempt; envelope sender
  `<bounce local>+<id>-<signature>@<domain>` (`messages.py`), From the tracker's address.
- Only a message offered to the server counts a try (`attempts`). 5xx at RCPT or DATA: the address
  is marked undeliverable and the row fails (as for a hard bounce or an address
  `accounts.emails.email_address_problem` refuses); the chunk goes on. A 4xx retries that row alone
  (`next_attempt_at` from the moment of the failure: NOTICES_RETRY_BACKOFF doubling, capped at
  NOTICES_RETRY_BACKOFF_MAX), failed after NOTICES_MAX_RETRIES tries; a 4xx at MAIL FROM refuses the
  sender, not the recipient (a rate limit, a full queue): that row waits without a try counted, and
  the relay's record for /healthz names the refusal. An unreachable relay sends the unsent rows back
  without a try counted; any other error (a 5xx greeting, STARTTLS or AUTH not offered, a
  certificate that does not verify, a bug) counts one, so it ends. A connection
  broken while a message was on the wire flags that row `possible_duplicate`.
- A template that fails to render fails only its own messages ("Rendering failed: …", shown on
  the court page).
- The claim is renewed every quarter of NOTICES_CLAIM_TIMEOUT_SECONDS from a thread of the sender's
  own (`ClaimKeeper`), also while one message waits on a slow relay, so a slow sender is not taken
  for a dead one; a sender whose rows were taken back anyway stops at its next mark.

Recovery (`deliveries_reclaim_stale`, beat every NOTICES_SWEEP_INTERVAL_SECONDS).
- A dead sender (child or worker killed, database connection lost): its rows stay `sending` with a
  claim nobody renews; after NOTICES_CLAIM_TIMEOUT_SECONDS they go back to pending (`reclaims`+1) and
  are published. Of each dead sender's rows only the lowest id can have been accepted unrecorded
  (rows go out in id order and each is marked at once): that one is flagged `possible_duplicate`
  and keeps the flag after its resend (same Message-ID, so people and mail systems can tell).
- Retries: rows whose `next_attempt_at` has come are published by the same sweep; a worker killed
  while rows wait loses nothing, since nothing waits in the broker.
- Lost broker messages (a broker restarted without persistence) or a task that failed before its
  claim: pending rows published more than NOTICES_REQUEUE_AFTER_SECONDS ago are published again,
  busy workers or not, once the broker's queue is empty (while messages wait, theirs may be among
  them: a long campaign is not copied into the queue again at every sweep).
With the defaults every message is sent within 60 seconds of a single fault ending (docs/deploy.md);
`tests/rollout/test_notices_faults.py` checks it for each fault.

Stalls (`selectors.py`): a court whose notices are due longer than NOTICES_STALL_AFTER_SECONDS is
flagged on the overview and its page; the admin lists those rows (filter "stalled");
`notice_backlog_ages()` gives the oldest due notice and the oldest delivery left sending.

Bounces (`bounces.py`, command `process_bounces`, beat every NOTICES_BOUNCE_INTERVAL_SECONDS): DSNs
from a Maildir or IMAP mailbox, classified with flufl.bounce; permanent → delivery `bounced` and
the address undeliverable (`BouncedAddress`, keyed by address, so a changed address gets notices
again; staff may also mark it deliverable again, audited); soft bounces counted once per delivery,
NOTICES_SOFT_BOUNCE_LIMIT in a row → undeliverable.

Templates (`rendering.py`): a sandboxed engine (allow-listed tags and filters, a loop budget, an
output cap, no tag opener left unclosed: `template_scan.py`); the admin refuses a template unless it
renders for every readiness state. A message carrying a fact its court's template leaves out
(`rendering.TOLD_FACTS`) goes with the shipped wording.

Date changes (`signals.py`): filers already sent a prepare or go-live notice get a
"date_changed_<change id>" row. Admin (`admin.py`): templates with preview and "send a test
to me", deliveries (resend failed, send a notice now, stalled, possible duplicates), bounced
addresses (filter by court, export). Reminders carry RFC 8058 one-click unsubscribe (`tokens.py`).
"""
