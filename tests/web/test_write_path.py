"""The pieces of the hot forecast path: Core inserts as loaded rows, counts around a percent,
and an answer that never waits for a recency median."""

import random

import pytest

from predictions.extensions import db
from predictions.models import Forecast, Reader, utcnow
from predictions.services import aggregates, counts, questions, readers
from predictions.services.counts import Around
from predictions.services.inserts import insert_rows


def test_inserted_rows_are_loaded_as_written_with_their_generated_ids(app, seed):
    with app.app_context():
        question = questions.get_by_slug(seed)
        reader, _token = readers.create_reader("ip-hash", display_name="Ana")
        assert reader in db.session and not db.session.new and not db.session.dirty
        now = utcnow()
        rows = [
            {
                "reader_id": reader.id,
                "question_id": question.id,
                "scenario_id": scenario.id,
                "percent": 10 * (i + 1),
                "created_at": now,
                "ended_at": None,
            }
            for i, scenario in enumerate(question.scenarios)
        ]
        added = insert_rows(Forecast, rows, match="scenario_id")
        assert not db.session.new and not db.session.dirty  # nothing left for a flush
        assert [f.percent for f in added] == [10, 20, 30]
        assert [f.scenario.key for f in added] == [s.key for s in question.scenarios]
        loaded = {f.id: (f.scenario_id, f.percent) for f in added}
        reader_id = reader.id
        db.session.commit()
        db.session.expunge_all()  # what the database holds, not the objects we built
        stored = db.session.execute(db.select(Forecast.id, Forecast.scenario_id, Forecast.percent))
        assert {row.id: (row.scenario_id, row.percent) for row in stored} == loaded
        again = db.session.get(Reader, reader_id)
        assert (again.display_name, again.ip_hash, again.premod, again.banned_at) == (
            "Ana",
            "ip-hash",
            False,
            None,
        )


def test_an_insert_missing_a_column_is_refused_before_anything_is_written(app, seed):
    with app.app_context():
        with pytest.raises(ValueError, match="missing \\['banned_at'"):
            insert_rows(Reader, [{"id": "r1", "token_hash": "t", "display_name": None,
                                  "ip_hash": None, "created_at": utcnow(), "ban_reason": None,
                                  "premod": False, "erased_at": None}])  # fmt: skip
        assert db.session.scalar(db.select(db.func.count()).select_from(Reader)) == 0


def test_counts_around_a_percent_agree_with_the_histograms(app, seed):
    rng = random.Random(7)
    with app.app_context():
        question = questions.get_by_slug(seed)
        ids = [s.id for s in question.scenarios]
        for _ in range(60):
            counts.shift(rng.choice(ids), rng.randint(1, 99), rng.randint(1, 3))
        histograms = counts.counts_for(ids)
        for _ in range(20):
            chosen = {i: rng.randint(1, 99) for i in rng.sample(ids, rng.randint(1, len(ids)))}
            expected = {
                i: Around(
                    sum(c for p, c in histograms[i].items() if p < percent),
                    histograms[i].get(percent, 0),
                    sum(c for p, c in histograms[i].items() if p > percent),
                )
                for i, percent in chosen.items()
            }
            assert counts.around(counts.counted(question), chosen) == expected
        assert counts.around(counts.counted(question), {}) == {}
        empty = max(ids) + 1000  # a scenario with no counts at all
        assert counts.around(counts.counted(question), {empty: 50}) == {empty: Around(0, 0, 0)}


def test_a_forecasts_answer_never_computes_a_recency_median(app, api_reader, monkeypatch):
    app.config["MIN_CROWD"] = 1
    app.config["CROWD_CACHE_SECONDS"] = 60

    def no_recency(*_args, **_kwargs):
        raise AssertionError("the write path computed a recency median")

    monkeypatch.setattr(aggregates, "recency_median", no_recency)
    first = api_reader.forecast({"us-eu-strain": 30})
    assert first.status_code == 201
    assert first.json["comparison"]["us-eu-strain"]["crowd_median"] == 30
    second = api_reader.forecast({"us-eu-strain": 70})
    assert second.status_code == 201
    # The medians are those of the crowd the reader's change made (from the counts alone).
    assert second.json["comparison"]["us-eu-strain"]["crowd_median"] == 70
    assert "lower" not in second.json["comparison"]["us-eu-strain"]["crowd_summary"]
