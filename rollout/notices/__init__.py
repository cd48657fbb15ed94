"""Go-live announcements and reminders: the right message, at the right time, once per recipient.

Design note — how each case of the issue is covered
===================================================

Records. Every message is a `NoticeDelivery` row keyed by (filer, court, notice) under a database
UniqueConstraint, where `notice` names the occurrence: "prepare", "golive", "reminder_<day>",
"reminder_manual_<date>", "date_changed_<GoLiveChange id>". A row moves pending → sending →
sent / failed / skipped (with `skip_reason`). A filer with logins at several courts has one row per
court and notice; several logins at one court still make one row.

Finding what is due (`dispatch.py`, beat every NOTICES_DISPATCH_INTERVAL_SECONDS). For each go-live
of the current rollout, in the court's own time zone (`Court.local_today`, `GoLive.live_at`):
prepare is due from `go_live_date - prepare_days_before` until the court is live; go-live from
`live_at`; reminders on each `reminder_days_after` day, only the latest day that has come. A
notice missed while beat was down is still created on the next run within NOTICES_CATCH_UP_DAYS
(prepare: until go-live, after which it is pointless and pending ones are skipped with a reason).
Recipients are read with `accounts.selectors.cmecf_accounts_with_readiness` (linked filers get no
go-live or reminder; unsubscribed filers get no reminder), minus those who already have the row
(an anti-join, so a rerun reads nothing), and inserted set-based with
`bulk_create(ignore_conflicts=True)` in chunks: INSERT … ON CONFLICT DO NOTHING.
- Duplicate beat runs / two dispatchers at once: the unique constraint drops the second insert;
  publishing takes pending, unpublished rows with SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL) and
  stamps `queued_at`, so a row is normally published once; if it is published twice the claim
  below still sends it once.
- Future notices and reminders are never ETA/countdown tasks: each dispatch finds them in the
  database, so nothing waits in Redis to be redelivered after its visibility timeout.

Sending (`sending.py`, task `send_deliveries` with a list of ≤ NOTICES_CHUNK_SIZE ids, published
with `transaction.on_commit` so a worker never looks for rows not yet committed).
- Claim: `UPDATE … SET state=sending, claimed_by=<this run> WHERE id IN (…) AND state=pending`,
  then read back only rows claimed by this run. The same chunk published twice, a task
  redelivered after its rows were sent, or a retry racing a resend: the second claimer gets 0 rows.
- One SMTP connection per chunk; each message accepted by the server is recorded at once in the
  send log `NoticeSent` (one INSERT of delivery id, Message-ID and time into a narrow,
  append-only table whose only index is its primary key; its own commit), and that INSERT has
  completed before the next message can be accepted, so at most one message per crash is
  unrecorded. On PostgreSQL the INSERT is a prepared statement sent asynchronously (libpq) with
  synchronous_commit off; its result is awaited after the next message's envelope (MAIL, RCPT,
  DATA → 354) and before that message's body and final dot, which is when a server accepts a
  message — so the database round trip overlaps rendering and the envelope instead of adding to
  them. Durable against the worker dying; only a crash of the database server could lose the last
  few records, whose rows the sweeper then resends as identical messages.
- Fold: at the end of the chunk (also after an error, for what was accepted before it) one
  statement deletes the chunk's records from the send log and marks their rows sent with the
  recorded time and Message-ID (`deliveries_fold_sent`: DELETE … RETURNING feeding an UPDATE …
  FROM, so both happen or neither). Folded records are deleted rather than kept: NoticeDelivery
  keeps the time and Message-ID, and the log stays as small as the work in flight. Until the fold,
  an accepted row shows as `sending` (counted as due) for at most one chunk's time.
- Every message has `Message-ID: <delivery-<id>.<court>@<domain>>`, the same on every attempt.
- SMTP 4xx and connection errors: the unsent rows go back to pending and the task retries with
  exponential backoff (capped at NOTICES_RETRY_BACKOFF_MAX, NOTICES_MAX_RETRIES times); after the
  last try they become failed with the error. 5xx: that row is failed at once, not retried, and the
  chunk goes on. Failed rows can be resent from the admin (back to pending, published again).
- At send time each row is checked again (linked since? unsubscribed? court live already for a
  prepare?) and skipped with a reason rather than sent out of date.
- Rate cap: NOTICES_MAX_PER_SECOND per sending process. Time limits on every task; on the soft
  limit the unsent rows are released to pending for the next dispatch.

Crashes (`sweep`, beat). A worker killed mid-chunk leaves rows in `sending`. For rows claimed
longer ago than NOTICES_CLAIM_TIMEOUT_SECONDS (beyond the send task's hard time limit, so a live
sender is never swept) the sweeper first folds the send log: a row whose message was recorded as
accepted is marked sent, not sent again. The others go back to pending, are counted in `reclaims`,
logged as possible duplicates with their Message-ID, and published again. The one window SMTP
cannot close — accepted by the server, worker dead before the INSERT — yields at most one
identical duplicate per crash (same Message-ID, so receiving systems and people can tell).
Records older than the timeout that no chunk folded (their row deleted meanwhile) are folded or
dropped. Pending rows published long ago and never claimed (a lost broker message) are published
again after NOTICES_REQUEUE_AFTER_SECONDS.

Date changes. `signals.py` listens to `courts.signals.golive_date_changed`: filers already sent a
prepare or go-live notice for that court get a "date_changed_<change id>" row, published on commit.
A postponement without a new date (a GoLiveChange whose status becomes postponed) does the same.

Speed. Messages are assembled by `mime.py` (the email package's generator cost more than the SMTP
exchange). A chunk (NOTICES_CHUNK_SIZE, 500) is claimed with one UPDATE … RETURNING on PostgreSQL;
each template variant (court, kind, go-live, change, readiness, day) is rendered once per chunk with
placeholders and only the filer's name, unsubscribe link and personal status-page link are put in
per message (escaped for HTML), after checking that the template only prints them
(`TemplateCache.render_personal`; else a full render). The next message is rendered and assembled while the server reads the current one's
body. Per message the database does one narrow INSERT (the send log) instead of an UPDATE of the
wide delivery row: that UPDATE changes `state`, which its indexes use, so it could never be a HOT
update and wrote a new entry in every index (primary key, the unique key, court/notice/state and
the partial index of sent rows) once per email; the fold does the same work set-based, once per
chunk. (A fillfactor would not make the claim or the fold HOT either: both change `state`, which
the indexes and the partial indexes' predicates read, and every one of them serves a query.)
After a dispatch (or an administrator's send-now) adds ≥ 10,000 rows the table is ANALYZEd
before publishing (`deliveries_analyze`): with the statistics of before the insert the planner
thinks almost nothing is pending and every claim read the whole partial index of pending rows
(0.1–0.9 s per chunk at 100,000 rows) instead of 500 primary-key look-ups. `bench_notices`
compares the whole path with a bare smtplib loop measured before and after it in the same run.

Admin. `services.notice_send_now(golive, kind, user)` and `notice_send_reminder_now(account ids,
user)` create rows now (scoped to the user's courts); the reminder on chosen accounts is one
INSERT … SELECT per court and leaves publishing the send tasks to a worker (`tasks.publish`). Templates are editable per court with
defaults from `templates/notices/`, with preview and "send a test to me" (`rollout/admin.py`).
Reminders carry RFC 8058 one-click unsubscribe with a signed, expiring token (`tokens.py`).
"""
