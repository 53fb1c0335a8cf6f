"""The fast counts agree with a full recount after any sequence of forecast changes and bans."""

import random
from datetime import timedelta

import pytest

from predictions.core.aggregation import aggregate
from predictions.extensions import db
from predictions.models import Forecast, Reader
from predictions.services import aggregates, counts, forecasts, questions, readers

from .crowd_helpers import T0, set_ban


@pytest.mark.parametrize("seed_value", [1, 2, 3])
def test_counts_match_recount_after_random_changes(app, seed, seed_value):
    rng = random.Random(seed_value)
    ids: list[str] = []
    with app.app_context():
        keys = [s.key for s in questions.get_by_slug(seed).scenarios]

    def crowd_now() -> aggregates.Crowd:
        with app.app_context():
            return aggregates.current(questions.get_by_slug(seed))

    before = crowd_now()
    for step in range(120):
        now = T0 + timedelta(seconds=step)
        action = rng.choice(["create", "update", "update", "withdraw", "ban", "unban"])
        if action in ("ban", "unban"):
            if ids:
                set_ban(app, rng.choice(ids), action == "ban")
        else:
            act(app, seed, rng, ids, keys, action, now)
        # Whatever moved the crowd moved its version (the key of every cache of it).
        after = crowd_now()
        assert after.version >= before.version
        if (after.scenarios, after.forecaster_count) != (before.scenarios, before.forecaster_count):
            assert after.version > before.version, action
        before = after
    with app.app_context():
        question = questions.get_by_slug(seed)
        scenario_ids = [s.id for s in question.scenarios]
        assert counts.counts_for(scenario_ids) == counts.recount(scenario_ids)
        assert questions.forecaster_count(question) == counts.count_forecasters(question.id)
        # And the whole aggregate equals the reference computed from the forecasts.
        for crowd, scenario in zip(
            aggregates.current(question).scenarios, question.scenarios, strict=True
        ):
            standing = db.session.scalars(
                db.select(Forecast.percent)
                .join(Reader, Reader.id == Forecast.reader_id)
                .where(
                    Forecast.scenario_id == scenario.id,
                    Forecast.ended_at.is_(None),
                    Reader.banned_at.is_(None),
                )
                .order_by(Forecast.created_at, Forecast.id)
            ).all()
            assert crowd.aggregate == aggregate(standing, scenario.baseline)


def act(app, seed: str, rng: random.Random, ids: list[str], keys: list[str], action, now) -> None:
    """A reader's random forecast or withdrawal (a new reader for "create")."""
    with app.app_context():
        question = questions.get_by_slug(seed)
        if action == "create" or not ids:
            reader, _ = readers.create_reader(None)
            ids.append(reader.id)
        else:
            reader = db.session.get(Reader, rng.choice(ids))
        if action == "withdraw":
            forecasts.withdraw(question, reader, rng.choice([None, *keys]), now=now)
        else:
            chosen = rng.sample(keys, rng.randint(1, len(keys)))
            forecasts.submit(question, reader, {k: rng.randint(1, 99) for k in chosen}, now)
        db.session.commit()


def test_recount_repairs_damaged_counts(app, runner, seed):
    from .crowd_helpers import add_readers

    add_readers(app, seed, [{"us-eu-strain": 40}, {"us-eu-strain": 70}])
    with app.app_context():
        question = questions.get_by_slug(seed)
        counts.shift(question.scenarios[1].id, 40, +5)
        counts.moved(question.id, forecasters=+3)
        db.session.commit()
    result = runner.invoke(args=["aggregates", "recount", seed])
    assert result.exit_code == 0, result.output
    assert "2 stored numbers were off" in result.output
    with app.app_context():
        question = questions.get_by_slug(seed)
        ids = [s.id for s in question.scenarios]
        assert counts.counts_for(ids) == counts.recount(ids)
        assert questions.forecaster_count(question) == 2
