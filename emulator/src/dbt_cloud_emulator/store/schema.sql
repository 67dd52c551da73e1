-- Runs and their steps. Times are epoch seconds (REAL); trigger and plan are JSON.
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL,
    project_id INTEGER NOT NULL,
    environment_id INTEGER NOT NULL,
    job_id INTEGER NOT NULL,
    status INTEGER NOT NULL,
    status_message TEXT,
    dbt_version TEXT NOT NULL,
    git_branch TEXT,
    git_sha TEXT,
    trigger_json TEXT NOT NULL,
    plan_json TEXT NOT NULL,
    retrying_run_id INTEGER,
    has_docs_generated INTEGER NOT NULL DEFAULT 0,
    artifacts_saved INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    dequeued_at REAL,
    started_at REAL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS runs_by_account_job ON runs (account_id, job_id, created_at);
CREATE INDEX IF NOT EXISTS runs_by_account_created ON runs (account_id, created_at);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status);

CREATE TABLE IF NOT EXISTS run_steps (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    idx INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    status INTEGER NOT NULL,
    status_message TEXT,
    has_artifacts INTEGER NOT NULL DEFAULT 0,
    started_at REAL NOT NULL,
    finished_at REAL,
    PRIMARY KEY (run_id, idx)
);

-- Per-job flags that outlive runs: whether a late-arriving-data job's data has landed.
CREATE TABLE IF NOT EXISTS job_state (
    job_id INTEGER PRIMARY KEY,
    late_data_landed INTEGER NOT NULL
);

-- Jobs: seeded from the tenant's jobs file, then created, updated and deleted (state 2) through the API.
-- definition_json holds the job's writable fields as the API last received them.
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL,
    project_id INTEGER NOT NULL,
    environment_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    state INTEGER NOT NULL DEFAULT 1,
    definition_json TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);

-- Custom environment variables (dbt-jobs-as-code sets job-level ones).
CREATE TABLE IF NOT EXISTS environment_variables (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL,
    project_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    environment_id INTEGER,
    job_definition_id INTEGER,
    user_id INTEGER,
    value TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS environment_variables_by_job ON environment_variables (job_definition_id);
