-- The durable job queue. A job is a row: taken with FOR UPDATE SKIP LOCKED by any worker
-- process, leased while it runs, deleted when it succeeds, retried with backoff when it fails,
-- and kept as 'dead' for inspection when it has failed for good.
CREATE TABLE jobs (
    id bigserial PRIMARY KEY,
    -- The queue (Misskey's names: deliver, inbox, db, system, endedPollNotification, …).
    queue varchar(64) NOT NULL,
    payload jsonb NOT NULL,
    -- ready (waiting, or delayed when run_at is later), running (leased), dead.
    state varchar(8) NOT NULL DEFAULT 'ready',
    run_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL,
    -- Enqueueing a job whose key is already queued does nothing.
    unique_key varchar(512),
    -- Jobs of one lane (a remote host) run with bounded concurrency and back off together.
    lane varchar(256),
    locked_by varchar(64),
    locked_until timestamptz,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT jobs_state CHECK (state IN ('ready', 'running', 'dead'))
);
CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key) WHERE unique_key IS NOT NULL;
CREATE INDEX jobs_ready ON jobs (queue, run_at, id) WHERE state = 'ready';
CREATE INDEX jobs_running ON jobs (locked_until) WHERE state = 'running';
CREATE INDEX jobs_dead ON jobs (queue, updated_at) WHERE state = 'dead';
CREATE INDEX jobs_lane ON jobs (lane, run_at) WHERE lane IS NOT NULL AND state = 'ready';

-- Jobs finished per queue, for the admin view (completed rows are deleted).
CREATE TABLE job_counters (
    queue varchar(64) PRIMARY KEY,
    completed bigint NOT NULL DEFAULT 0,
    failed bigint NOT NULL DEFAULT 0
);

-- Recurring work: whichever worker first finds a schedule due moves it on and enqueues its job.
CREATE TABLE job_schedules (
    name varchar(64) PRIMARY KEY,
    next_run_at timestamptz NOT NULL DEFAULT now()
);

-- Polls already waiting to end get their job (new polls enqueue theirs with the note).
INSERT INTO jobs (queue, payload, run_at, max_attempts, unique_key)
SELECT 'endedPollNotification', jsonb_build_object('type', 'pollEnd', 'noteId', note_id),
       expires_at, 10, 'pollEnd:' || note_id
  FROM polls WHERE NOT ended_notified AND expires_at IS NOT NULL;
