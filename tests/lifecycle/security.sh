#!/usr/bin/env bash
# The attacks on the catalog that need two sessions. (The single-session ones are the
# golden test 14_security.)
# 1. The race: while alice's first training of a new model is uncommitted, bob trains the
#    same name with "promote": "always". In 0.3.0 his version was deployed in her model
#    after her commit. Ownership is checked under the model row's lock now: bob waits for
#    her commit, then gets 42501, and her model is as she left it.
# 2. Training while another session drops the same model: never an internal error (XX000,
#    "SpiTupleTable positioned before the start" in 0.3.0), only clean SQLSTATEs.
source "$(dirname "$0")/../lib.sh"

fresh_db cltv_security
q cltv_security >/dev/null <<'SQL'
SET client_min_messages = warning;
DROP ROLE IF EXISTS cltv_race_alice;
DROP ROLE IF EXISTS cltv_race_bob;
CREATE ROLE cltv_race_alice;
CREATE ROLE cltv_race_bob;
CREATE EXTENSION cltv;
CREATE TABLE data AS
SELECT i AS id, (i % 10)::float8 AS x1, ((i * 7) % 13)::float8 AS x2
  FROM generate_series(1, 5000) AS i;
ALTER TABLE data ADD COLUMN y float8;
UPDATE data SET y = 3 + 2 * x1 - x2 + sin(id);
GRANT SELECT ON data TO PUBLIC;
SQL
train="SELECT version FROM cltv_train('race', 'data', 'y', ARRAY['x1', 'x2'], options => '{\"test_fraction\": 0, \"promote\": \"always\"}')"

# alice's first training, held open for 2 s.
q cltv_security -c "SET ROLE cltv_race_alice" -c "BEGIN" -c "$train" -c "SELECT pg_sleep(2)" -c "COMMIT" \
    >/dev/null 2>"$CLTV_VAR/race_alice.err" &
alice=$!
sleep 0.7
start=$(date +%s%N)
bob_error="$(q cltv_security -v VERBOSITY=verbose -c "SET ROLE cltv_race_bob" -c "$train" 2>&1 >/dev/null || true)"
waited_ms=$((($(date +%s%N) - start) / 1000000))
wait "$alice"
expect "alice's training committed without an error" "$(cat "$CLTV_VAR/race_alice.err")" ""
expect_true "bob's training waited for alice's commit ($waited_ms ms)" [ "$waited_ms" -gt 500 ]
expect "then it was refused: 42501 naming the model" \
    "$(echo "$bob_error" | grep -o '42501: permission denied to add a version to model "race"')" \
    '42501: permission denied to add a version to model "race"'
expect "alice's model has her one version, deployed, and no other" \
    "$(q cltv_security -F ' ' -c "SELECT m.created_by, m.deployed_version, count(v.*), string_agg(v.trained_by, ',')
                                   FROM cltv.models m JOIN cltv.model_versions v ON v.model = m.name
                                  WHERE m.name = 'race' GROUP BY 1, 2")" \
    "cltv_race_alice 1 1 cltv_race_alice"

# Train and drop one model from two sessions for a few seconds; record every SQLSTATE.
seconds="${CLTV_SECURITY_SECONDS:-6}"
states="$CLTV_VAR/drop_race.states"
: >"$states"
churn() {
    local deadline=$((SECONDS + seconds))
    while [ "$SECONDS" -lt "$deadline" ]; do
        psql -X -q -At -d cltv_security -v VERBOSITY=sqlstate -c "$1" 2>&1 >/dev/null |
            sed -n 's/^ERROR: *\([0-9A-Z]\{5\}\).*/\1/p' >>"$states" || true
    done
}
churn "SELECT cltv_train('dropme', 'data', 'y', ARRAY['x1', 'x2'], options => '{\"test_fraction\": 0}')" &
trainer=$!
churn "SELECT cltv_drop_model('dropme')" &
dropper=$!
wait "$trainer" "$dropper"
echo "# SQLSTATEs seen: $(sort "$states" | uniq -c | tr -s ' \n' ' ')"
expect "training while another session drops the model: only 42704 (gone) and 40001 (dropped concurrently)" \
    "$(grep -cvE '^(42704|40001)$' "$states" || true)" "0"
expect "the catalog is consistent: no version without its model" \
    "$(q cltv_security -c "SELECT count(*) FROM cltv.model_versions v WHERE NOT EXISTS (SELECT 1 FROM cltv.models m WHERE m.name = v.model)")" "0"

rm -f "$CLTV_VAR/race_alice.err" "$states"
dropdb cltv_security
q postgres >/dev/null -c "DROP ROLE cltv_race_alice" -c "DROP ROLE cltv_race_bob"
done_testing
