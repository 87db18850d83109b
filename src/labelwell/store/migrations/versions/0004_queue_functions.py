"""The annotator's loop as PostgreSQL functions (PostgreSQL only).

Leasing the next task and storing a submission are a dozen small statements
each. Sent one by one, every statement is a network round trip plus the
driver's work on both ends, and at a few hundred annotators per second those
round trips, not the statements, were the cost. These functions run the same
statements inside the server, so one call does the whole step:

Each function that starts a request also resolves the caller's API token, so
that a request is one round trip (a lease) or two (a submit) in all.

* ``labelwell_next_task``: the project and the caller's membership, the
  caller's live lease (given again), lapsed leases returned to the queue, a gold
  item drawn at the project's ``gold_ratio`` or the next open item locked with
  ``FOR UPDATE SKIP LOCKED``, one of its ``overlap`` slots taken, the lease
  written, the item and its machine suggestions read back. Projects with a
  qualification rule are answered ``qualification`` and leased by the Python
  queue (it scores the annotator's earlier gold answers).
* ``labelwell_submission``: everything a submit checks before it writes
  (a stored submission under the idempotency key, the lease, the item's data,
  the project, the gold answer, whether a suggestion belongs to the item).
* ``labelwell_submit``: the writes of a submit, the lease locked and its status
  checked again so that a lease is submitted once whatever runs meanwhile.

A lease is committed asynchronously (``synchronous_commit = off`` for its
transaction only): the call does not wait for the WAL flush, which blocked the
server's event loop for longer than the lease itself took. Should PostgreSQL
itself crash, leases granted in its last fraction of a second may be forgotten
(atomically: the lease and the slot it took); their annotators get "no
assignment" on submit and may be offered the item again. Submissions are never
affected: each is committed synchronously, and a synchronous commit makes all
WAL before it durable, so the lease a stored submission names always survives.

The Python queue (``labelwell.work.queue``) calls them on PostgreSQL and runs
the statements itself on SQLite; the same tests hold both to one behaviour.
Later changes to a function go in a new revision (``CREATE OR REPLACE``).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The caller: given ``p_token_hash`` (an API token's hash) the function resolves
# it itself, sparing the request a round trip, and returns who it found;
# otherwise ``p_user``, ``p_admin`` and ``p_skills`` say who calls.
_CALLER_OUT = """
    OUT o_user_id bigint, OUT o_email text, OUT o_user_role text, OUT o_skills text"""

_RESOLVE_CALLER = """
    IF p_token_hash IS NOT NULL THEN
        SELECT u.id, u.email, u.role, u.skills::text, u.is_active AND t.revoked_at IS NULL
          INTO o_user_id, o_email, o_user_role, o_skills, v_valid
          FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = p_token_hash;
        IF v_valid IS NOT TRUE THEN
            o_outcome := 'unauthorized';
            o_user_id := NULL; o_email := NULL; o_user_role := NULL; o_skills := NULL;
            RETURN;
        END IF;
        p_user := o_user_id;
        p_admin := o_user_role = 'admin';
        p_skills := o_skills::jsonb;
    END IF;"""

# The project as the queue needs it (the PROJECT statement of labelwell.work.queue).
_PROJECT_OUT = """
    OUT o_outcome text,
    OUT o_project_id bigint, OUT o_name text, OUT o_overlap integer,
    OUT o_gold_ratio double precision, OUT o_lease_seconds integer, OUT o_blind boolean,
    OUT o_required_skills text, OUT o_show_predictions boolean, OUT o_settings text,
    OUT o_ontology text, OUT o_guideline_version integer, OUT o_role text"""

_READ_PROJECT = """
    SELECT p.id, p.name, p.overlap, p.gold_ratio, p.lease_seconds, p.blind,
           p.required_skills::text, p.show_predictions, p.settings::text, p.ontology::text,
           (SELECT max(g.version) FROM guidelines g WHERE g.project_id = p.id),
           (SELECT m.role FROM members m WHERE m.project_id = p.id AND m.user_id = p_user)
      INTO o_project_id, o_name, o_overlap, o_gold_ratio, o_lease_seconds, o_blind,
           o_required_skills, o_show_predictions, o_settings, o_ontology,
           o_guideline_version, o_role
      FROM projects p WHERE p.id = {project};
    IF o_project_id IS NULL OR (o_role IS NULL AND NOT p_admin) THEN
        o_outcome := 'not_found';
        o_name := NULL; o_settings := NULL; o_ontology := NULL;
        RETURN;
    END IF;"""

NEXT_TASK = f"""
CREATE OR REPLACE FUNCTION labelwell_next_task(
    p_token_hash text, p_user bigint, p_admin boolean, p_skills jsonb, p_project bigint,
    p_now timestamptz, p_reclaim boolean, p_draw double precision, p_pick double precision,
    {_PROJECT_OUT},
    OUT o_assignment_id bigint, OUT o_item_id bigint, OUT o_expires_at timestamptz,
    OUT o_lease_guideline integer, OUT o_data text, OUT o_media text, OUT o_suggestions text,
    {_CALLER_OUT})
LANGUAGE plpgsql AS $fn$
DECLARE
    v_valid boolean;
    v_skills jsonb;
    v_gold boolean := false;
    v_gold_ids bigint[];
BEGIN
    -- A lease is committed without waiting for the WAL flush (see the docstring).
    SET LOCAL synchronous_commit = off;
    {_RESOLVE_CALLER}
    {_READ_PROJECT.format(project="p_project")}
    -- eligibility: every skill the project requires (Python words the refusal)
    v_skills := coalesce(o_required_skills::jsonb, '[]'::jsonb);
    IF jsonb_typeof(v_skills) = 'array' AND NOT (v_skills <@ coalesce(p_skills, '[]'::jsonb))
    THEN
        o_outcome := 'ineligible';
        RETURN;
    END IF;

    IF p_reclaim THEN  -- lapsed leases give their slots back (ix_assignments_live)
        WITH lapsed AS (
            UPDATE assignments SET status = 'expired', finished_at = p_now
             WHERE project_id = p_project AND status = 'leased' AND expires_at < p_now
            RETURNING item_id, is_gold
        ), per_item AS (
            SELECT item_id, count(*) AS n FROM lapsed WHERE NOT is_gold GROUP BY item_id
        )
        UPDATE items i
           SET n_active = i.n_active - per_item.n,
               status = CASE WHEN i.status = 'done' THEN 'done' ELSE 'open' END
          FROM per_item WHERE i.id = per_item.item_id;
    END IF;

    -- a live lease is given again (ix_assignments_user)
    SELECT a.id, a.item_id, a.expires_at, a.guideline_version
      INTO o_assignment_id, o_item_id, o_expires_at, o_lease_guideline
      FROM assignments a
     WHERE a.user_id = p_user AND a.project_id = p_project AND a.status = 'leased'
       AND a.expires_at > p_now
     ORDER BY a.id LIMIT 1;
    IF o_assignment_id IS NOT NULL THEN
        o_outcome := 'held';
    ELSE
        IF o_settings::jsonb -> 'qualification' IS NOT NULL
           AND o_settings::jsonb -> 'qualification' <> 'null'::jsonb THEN
            o_outcome := 'qualification';  -- the Python queue scores and leases
            RETURN;
        END IF;

        IF o_gold_ratio > 0 AND p_draw < o_gold_ratio THEN
            -- one of up to 50 gold items this annotator has never been given
            SELECT array_agg(c.id) INTO v_gold_ids FROM (
                SELECT i.id FROM items i
                 WHERE i.project_id = p_project AND i.is_gold = true
                   AND NOT EXISTS (SELECT 1 FROM assignments a
                                    WHERE a.item_id = i.id AND a.user_id = p_user)
                 ORDER BY i.priority DESC, i.id LIMIT 50) c;
            IF v_gold_ids IS NOT NULL THEN
                o_item_id := v_gold_ids[1 + floor(p_pick * array_length(v_gold_ids, 1))::int];
                v_gold := true;
            END IF;
        END IF;

        IF o_item_id IS NULL THEN
            FOR attempt IN 1..5 LOOP  -- a slot lost to a concurrent lease is retried
                SELECT i.id INTO o_item_id FROM items i
                 WHERE i.project_id = p_project AND i.is_gold = false AND i.status = 'open'
                   AND NOT EXISTS (SELECT 1 FROM assignments a
                                    WHERE a.item_id = i.id AND a.user_id = p_user)
                 ORDER BY i.priority DESC, i.id LIMIT 1
                   FOR UPDATE OF i SKIP LOCKED;
                EXIT WHEN o_item_id IS NULL;
                UPDATE items
                   SET n_active = n_active + 1,
                       status = CASE WHEN n_active + 1 >= o_overlap THEN 'full' ELSE 'open' END
                 WHERE id = o_item_id AND n_active < o_overlap AND status = 'open';
                EXIT WHEN FOUND;
                o_item_id := NULL;
            END LOOP;
        END IF;
        IF o_item_id IS NULL THEN
            o_outcome := 'empty';
            RETURN;
        END IF;

        o_expires_at := p_now + make_interval(secs => o_lease_seconds);
        o_lease_guideline := o_guideline_version;
        INSERT INTO assignments (item_id, project_id, user_id, status, is_gold, leased_at,
                                 expires_at, guideline_version)
        VALUES (o_item_id, p_project, p_user, 'leased', v_gold, p_now, o_expires_at,
                o_guideline_version)
        RETURNING id INTO o_assignment_id;
        o_outcome := 'leased';
    END IF;

    SELECT i.data::text, i.media::text INTO o_data, o_media FROM items i WHERE i.id = o_item_id;
    IF o_show_predictions THEN  -- machine suggestions, oldest first (ix_predictions_item)
        SELECT json_agg(json_build_array(p.id, p.source, p.model_name, p.model_version,
                                         p.score, p.result) ORDER BY p.id)::text
          INTO o_suggestions
          FROM predictions p WHERE p.item_id = o_item_id;
    END IF;
END
$fn$
"""

SUBMISSION = f"""
CREATE OR REPLACE FUNCTION labelwell_submission(
    p_token_hash text, p_user bigint, p_admin boolean, p_skills jsonb, p_assignment bigint,
    p_key text, p_prediction bigint,
    {_PROJECT_OUT},
    OUT o_stored text,
    OUT o_item_id bigint, OUT o_status text, OUT o_is_gold boolean,
    OUT o_leased_at timestamptz, OUT o_expires_at timestamptz, OUT o_lease_guideline integer,
    OUT o_data text, OUT o_gold text, OUT o_prediction_ok boolean,
    {_CALLER_OUT})
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    v_valid boolean;
    v_project bigint;
BEGIN
    {_RESOLVE_CALLER}
    IF p_key IS NOT NULL THEN  -- a retry (unique (user_id, idempotency_key))
        SELECT to_jsonb(a)::text, a.project_id, a.item_id, a.is_gold_check
          INTO o_stored, v_project, o_item_id, o_is_gold
          FROM annotations a WHERE a.user_id = p_user AND a.idempotency_key = p_key;
        IF o_stored IS NOT NULL THEN
            {_READ_PROJECT.format(project="v_project")}
            IF o_is_gold THEN
                SELECT g.result::text INTO o_gold FROM gold_answers g
                 WHERE g.item_id = o_item_id;
            END IF;
            o_outcome := 'stored';
            RETURN;
        END IF;
    END IF;

    SELECT a.project_id, a.item_id, a.status, a.is_gold, a.leased_at, a.expires_at,
           a.guideline_version, i.data::text
      INTO v_project, o_item_id, o_status, o_is_gold, o_leased_at, o_expires_at,
           o_lease_guideline, o_data
      FROM assignments a JOIN items i ON i.id = a.item_id
     WHERE a.id = p_assignment AND a.user_id = p_user;
    IF v_project IS NULL THEN
        o_outcome := 'no_lease';
        RETURN;
    END IF;
    {_READ_PROJECT.format(project="v_project")}
    IF o_is_gold THEN
        SELECT g.result::text INTO o_gold FROM gold_answers g WHERE g.item_id = o_item_id;
    END IF;
    IF p_prediction IS NOT NULL THEN
        o_prediction_ok := EXISTS (SELECT 1 FROM predictions p
                                    WHERE p.id = p_prediction AND p.item_id = o_item_id);
    END IF;
    o_outcome := 'lease';
END
$fn$
"""

SUBMIT = """
CREATE OR REPLACE FUNCTION labelwell_submit(
    p_user bigint, p_assignment bigint, p_agent text, p_result jsonb, p_details jsonb,
    p_time_spent_ms integer, p_key text, p_now timestamptz, p_overlap integer,
    OUT o_outcome text, OUT o_annotation_id bigint, OUT o_n_done integer)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_item bigint;
    v_project bigint;
    v_status text;
    v_gold boolean;
    v_guideline integer;
BEGIN
    -- durable before acknowledged, even in a transaction that leased first
    SET LOCAL synchronous_commit = on;
    SELECT a.item_id, a.project_id, a.status, a.is_gold, a.guideline_version
      INTO v_item, v_project, v_status, v_gold, v_guideline
      FROM assignments a WHERE a.id = p_assignment AND a.user_id = p_user
       FOR UPDATE;
    IF v_item IS NULL THEN
        o_outcome := 'no_lease';
        RETURN;
    END IF;
    IF v_status = 'submitted' OR v_status = 'skipped' THEN
        o_outcome := v_status;
        RETURN;
    END IF;
    -- a lapsed lease whose slot went back to the queue takes it again if still free
    IF v_status = 'expired' AND NOT v_gold THEN
        UPDATE items
           SET n_active = n_active + 1,
               status = CASE WHEN n_active + 1 >= p_overlap THEN 'full' ELSE 'open' END
         WHERE id = v_item AND n_active < p_overlap AND status <> 'done';
        IF NOT FOUND THEN
            o_outcome := 'expired';
            RETURN;
        END IF;
    END IF;
    INSERT INTO annotations (item_id, project_id, user_id, assignment_id, source, agent,
                             result, guideline_version, time_spent_ms, status, is_gold_check,
                             revision, is_current, idempotency_key, details, created_at)
    VALUES (v_item, v_project, p_user, p_assignment, 'human', p_agent, p_result, v_guideline,
            p_time_spent_ms, 'submitted', v_gold, 1, true, p_key, p_details, p_now)
    ON CONFLICT (user_id, idempotency_key) DO NOTHING
    RETURNING id INTO o_annotation_id;
    IF o_annotation_id IS NULL THEN  -- the key was taken meanwhile, for another lease
        RAISE EXCEPTION 'idempotency key % was already used', p_key
              USING ERRCODE = 'unique_violation';
    END IF;
    UPDATE assignments SET status = 'submitted', finished_at = p_now WHERE id = p_assignment;
    IF NOT v_gold THEN  -- count the submission on the item and move its status on
        UPDATE items
           SET n_done = n_done + 1,
               status = CASE WHEN n_done + 1 >= p_overlap THEN 'done'
                             WHEN n_active >= p_overlap THEN 'full' ELSE 'open' END
         WHERE id = v_item
        RETURNING n_done INTO o_n_done;
    END IF;
    o_outcome := 'stored';
END
$fn$
"""

FUNCTIONS = {
    "labelwell_next_task": (
        NEXT_TASK,
        "bigint, boolean, jsonb, bigint, timestamptz, boolean, double precision, double precision",
    ),
    "labelwell_submission": (
        SUBMISSION,
        "text, bigint, boolean, jsonb, bigint, text, bigint",
    ),
    "labelwell_submit": (
        SUBMIT,
        "bigint, bigint, text, jsonb, jsonb, integer, text, timestamptz, integer",
    ),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for sql, _ in FUNCTIONS.values():
        op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # by name alone (each is defined once): an argument list written here drifted
    # from the function's and left labelwell_next_task behind
    for name in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}")
