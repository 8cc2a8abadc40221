"""Lesson 10's practice exam as a whole: the bank (mldeploy/exam/bank.py, no keys), the seeded draw, the keys in
the solution's hidden cells, and the marking (mldeploy/exam/paper.py).

- the bank holds no answers, names a syllabus objective and exam-guide sections for every question, and has more
  questions per objective than a paper asks, so that another seed draws another paper;
- a paper follows the blueprint (60 questions, every objective), the same for a seed on any run;
- every question has its key, explanation and distractor feedback in the hidden cell of its objective;
- for many seeds, answers made from the keys get full marks, every wrong option gets none, and blank gets none;
- the solution's answer cells are exactly the answers to the paper of the lesson's SEED;
- each written question accepts right answers written differently and refuses plausible wrong ones.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import runpy
from pathlib import Path

import nbformat
import pytest

import mldeploy
from mldeploy import exam
from mldeploy.paths import COURSE_ROOT

SOLUTION = COURSE_ROOT / "solutions" / "10_practice_exam" / "10_practice_exam.ipynb"
MARKER = runpy.run_path(str(Path(mldeploy.__file__).parent / "exam" / "paper.py"))
SEEDS = list(range(40))


def solution_cells():
    return nbformat.read(SOLUTION, as_version=4).cells


def hidden_keys() -> dict[str, dict]:
    """objective -> {question id: key entry}, read from the solution's hidden cells (``_exam_marker["mark"](...)``)."""
    keys = {}
    for cell in solution_cells():
        meta = cell.metadata.get("nbgrader", {})
        if not (meta.get("grade") and "BEGIN HIDDEN TESTS" in cell.source):
            continue
        calls = [node for node in ast.walk(ast.parse(cell.source)) if isinstance(node, ast.Call)
                 and ast.unparse(node.func) == "_exam_marker['mark']"]
        assert len(calls) == 1, f"{meta['grade_id']}: one call to the marker expected"
        objective = ast.literal_eval(calls[0].args[0])
        assert meta["grade_id"] == f"exam_{objective}"
        keys[objective] = ast.literal_eval(calls[0].args[4])
    return keys


KEYS = hidden_keys()
ENTRIES = {qid: entry for per_objective in KEYS.values() for qid, entry in per_objective.items()}


def lesson_seed() -> int:
    for cell in solution_cells():
        found = re.search(r"^SEED = (\d+)", cell.source, re.MULTILINE)
        if cell.cell_type == "code" and found:
            return int(found.group(1))
    raise AssertionError("no SEED = ... in the lesson")


def reference_answer(item):
    entry = ENTRIES[item.id]
    if item.kind == "choice":
        return item.shown_letter(entry["key"])
    return entry["show"].strip("`")


def mark_all(seed: int, answers_for) -> dict[str, tuple[int, int]]:
    """Mark every objective of paper ``seed`` with answers_for(item) (None: leave out); {objective: (right, asked)}."""
    paper = exam.draw(seed)
    answers = {group: {} for group in "MBSRD"}
    for item in paper.drawn:
        value = answers_for(item)
        if value is not None:
            answers[item.objective[0]][item.id] = value
    tally = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for objective in exam.BLUEPRINT:
            MARKER["mark"](objective, seed, answers[objective[0]], tally, KEYS[objective])
    return tally


# ---- the bank --------------------------------------------------------------------------------------------------


def test_the_bank_holds_no_answers():
    allowed = {"id", "objective", "guides", "kind", "answer", "stem", "options", "shuffle"}
    for question in exam.QUESTIONS:
        assert set(question) <= allowed, f"{question['id']}: {set(question) - allowed} do not belong in the bank"
    source = (Path(mldeploy.__file__).parent / "exam" / "bank.py").read_text()
    assert '"key"' not in source and '"why"' not in source


def test_every_question_serves_an_objective_and_guide_sections():
    ids = [question["id"] for question in exam.QUESTIONS]
    assert len(ids) == len(set(ids)) and len(ids) >= 120
    for question in exam.QUESTIONS:
        assert question["objective"] in exam.BLUEPRINT and question["id"].startswith(question["objective"])
        assert question["guides"] and set(question["guides"]) <= set(exam.GUIDES), question["id"]
        if question["kind"] == "choice":
            assert len(question["options"]) == 4 and len(set(question["options"])) == 4, question["id"]
        else:
            assert "options" not in question


def test_blueprint_60_questions_and_room_for_fresh_papers():
    assert sum(exam.BLUEPRINT.values()) == 60 and set(exam.BLUEPRINT) == set(exam.TITLES)
    assert set(exam.BLUEPRINT.values()) <= {1, 2}
    for objective, count in exam.BLUEPRINT.items():
        pool = [q for q in exam.QUESTIONS if q["objective"] == objective]
        assert len(pool) > count, f"{objective}: {len(pool)} questions for {count} per paper: every paper alike"


# ---- the draw ----------------------------------------------------------------------------------------------------


def test_a_paper_follows_the_blueprint_and_a_seed_always_draws_the_same():
    for seed in SEEDS[:10]:
        paper = exam.draw(seed)
        assert len(paper) == 60
        for objective, count in exam.BLUEPRINT.items():
            assert len(paper.questions(objective)) == count
        again = exam.draw(seed)
        assert [(item.id, item.order) for item in paper.drawn] == [(item.id, item.order) for item in again.drawn]


def test_other_seeds_draw_other_papers_and_shuffle_options():
    papers = {tuple(exam.draw(seed).ids("M") + exam.draw(seed).ids("R")) for seed in SEEDS}
    assert len(papers) > len(SEEDS) // 2
    orders = {tuple(item.order) for seed in SEEDS for item in exam.draw(seed).drawn if item.kind == "choice"}
    assert len(orders) > 10
    seen = {item.id for seed in SEEDS for item in exam.draw(seed).drawn}
    assert len(seen) > 0.9 * len(exam.QUESTIONS), "most of the bank should turn up over 40 papers"


def test_seed_must_be_a_whole_number():
    for seed in ("2026", 2026.0, True, None):
        with pytest.raises(TypeError):
            exam.draw(seed)


# ---- keys, and marking ---------------------------------------------------------------------------------------------


def test_every_question_has_its_key_explanation_and_feedback():
    assert set(KEYS) == set(exam.BLUEPRINT)
    for question in exam.QUESTIONS:
        entry = KEYS[question["objective"]].get(question["id"])
        assert entry is not None, f"{question['id']} has no key in the hidden cell exam_{question['objective']}"
        assert entry["why"].strip()
        if question["kind"] == "choice":
            assert entry["key"] in "abcd" and set(entry["wrong"]) == set("abcd") - {entry["key"]}, question["id"]
        else:
            assert entry["show"].startswith("`") or question["kind"] in ("number", "time"), question["id"]
    assert set(ENTRIES) == {question["id"] for question in exam.QUESTIONS}, "keys for questions not in the bank"


@pytest.mark.parametrize("seed", SEEDS)
def test_answers_from_the_keys_get_full_marks(seed):
    tally = mark_all(seed, reference_answer)
    assert all(right == asked for right, asked in tally.values()), {o: t for o, t in tally.items() if t[0] < t[1]}


@pytest.mark.parametrize("seed", SEEDS[:10])
def test_every_wrong_option_and_a_blank_get_nothing(seed):
    for offset in (1, 2, 3):
        def wrong(item, offset=offset):
            if item.kind != "choice":
                return None
            shown = item.shown_letter(ENTRIES[item.id]["key"])
            return item.letters[(item.letters.index(shown) + offset) % 4]
        tally = mark_all(seed, wrong)
        assert sum(right for right, _ in tally.values()) == 0
    assert sum(right for right, _ in mark_all(seed, lambda item: None).values()) == 0


def test_a_miss_prints_the_answer_why_and_why_not():
    paper = exam.draw(lesson_seed())
    item = next(item for item in paper.drawn if item.kind == "choice")
    shown = item.shown_letter(ENTRIES[item.id]["key"])
    wrong = next(letter for letter in item.letters if letter != shown)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        right = MARKER["mark"](item.objective, paper.seed, {item.id: wrong}, {}, KEYS[item.objective])
    text = out.getvalue()
    assert right < exam.BLUEPRINT[item.objective]
    assert f"The answer is ({shown})" in text and "Why:" in text and f"Why not ({wrong})" in text
    assert ENTRIES[item.id]["wrong"][item.original_letter(wrong)] in text


def test_answer_objects_cannot_pose_as_answers():
    """Marking reads answers as plain data: a str subclass that equals anything, or an object whose str() is the
    right letter, is not taken for the right answer."""
    paper = exam.draw(lesson_seed())
    item = next(item for item in paper.drawn if item.kind == "choice")
    shown = item.shown_letter(ENTRIES[item.id]["key"])

    class Equal(str):
        def __eq__(self, other):
            return True

        __hash__ = str.__hash__

    class Pretender:
        def __str__(self):
            return shown

    for value in (Equal("zz"), Pretender()):
        with contextlib.redirect_stdout(io.StringIO()):
            right = MARKER["mark"](item.objective, paper.seed, {item.id: value}, {}, KEYS[item.objective])
        assert right == 0


def test_solution_answers_are_the_answers_to_the_lessons_paper():
    seed = lesson_seed()
    paper = exam.draw(seed)
    for cell in solution_cells():
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if not grade_id.startswith("answers_"):
            continue
        group = grade_id[-1]
        tree = ast.parse(cell.source)
        answers = ast.literal_eval(tree.body[-1].value)
        assert list(answers) == paper.ids(group), f"{grade_id} does not answer paper {seed}: rewrite it"
        for qid, value in answers.items():
            ok, problem = MARKER["check"](MARKER["draw"](seed).by_id[qid], value, ENTRIES[qid]["key"])
            assert ok, f"{qid}: {value!r} ({problem})"


def test_format_check_says_what_is_missing_or_malformed():
    seed = lesson_seed()
    paper = exam.draw(seed)
    answers = {item.id: reference_answer(item) for item in paper.questions("M")}
    with contextlib.redirect_stdout(io.StringIO()):
        exam.check_format(seed, "M", {**answers, "X9z": "b"})           # a key not on this paper is ignored
    missing = dict(answers)
    dropped = missing.popitem()[0]
    with pytest.raises(AssertionError, match=dropped):
        exam.check_format(seed, "M", missing)
    choice = next(item.id for item in paper.questions("M") if item.kind == "choice")
    with pytest.raises(AssertionError, match=choice):
        exam.check_format(seed, "M", {**answers, choice: "maybe"})
    with pytest.raises(AssertionError, match="should be a dict"):
        exam.check_format(seed, "M", ["b"])


def test_hidden_cells_load_a_fresh_marker():
    for cell in solution_cells():
        if "BEGIN HIDDEN TESTS" in cell.source:
            assert 'run_path(_os.path.join(_os.path.dirname(_mldeploy.__file__), "exam", "paper.py"))' in cell.source
            assert "from mldeploy.exam" not in cell.source and "exam." not in cell.source.split("### BEGIN")[1]


# ---- written answers: right in other spellings, wrong when plausible -------------------------------------------

WRITTEN = {
    "M3c": (["name", "name=", 'name="model"', 'mlflow.sklearn.log_model(model, name="model")'],
            ["artifact_path", "Name", "registered_model_name", "model_name"]),
    "M3e": (["context.artifacts['encoder']", 'context.artifacts.get("encoder")', "context.artifacts['encoder']  # path"],
            ['self.artifacts["encoder"]', '"encoder.joblib"', "context.artifacts", 'context.model_config["encoder"]']),
    "M4a": (["MODELS:/flight_delay@champion", "`models:/flight_delay@champion`", "load_model('models:/flight_delay@champion')"],
            ["models:/flight_delay/7", "models:/flight_delay/champion", "models:/Flight_Delay@champion",
             "models:/flight_delay@Champion"]),
    "M4d": (['client.set_registered_model_alias(name="flight_delay", alias="champion", version="8")',
             "MlflowClient().set_registered_model_alias('flight_delay', 'champion', 8)"],
            ['client.set_registered_model_alias("flight_delay", 8, "champion")',
             'client.transition_model_version_stage("flight_delay", 8, "Production")',
             'client.set_registered_model_alias("flight_delay", "Champion", 8)']),
    "M5b": (["13.89", "50000 / 3600", "50,000 s / 3,600 = 13.9 h", "13.9 hours"], ["0.23", "833", "50000", "14.5"]),
    "M7b": (["from pyspark import pandas as ps", "import pyspark.pandas as ps  # formerly Koalas"],
            ["import databricks.koalas as ps", "import pyspark.pandas", "import pandas as ps"]),
    "M8b": (["mlflow run $PWD -P alpha=0.3 --env-manager=local", "mlflow run . -e main -Palpha=.3 --env-manager local  # here"],
            ["mlflow run . -P alpha=0.3", "mlflow run . --no-conda -P alpha=0.3", "mlflow run . -P alpha=0.3 --env-manager conda",
             "mlflow run . -P alpha=3 --env-manager local"]),
    "B5b": (["models:/flight_delay/staging", "models:/flight_delay/STAGING"],
            ["models:/flight_delay@Staging", "models:/flight_delay/Production", "models:/FLIGHT_DELAY/Staging"]),
    "B5c": (["models:/flight_delay/Latest", "models:/flight_delay@latest"],
            ["models:/flight_delay", "models:/flight_delay@champion", "models:/flight_delay/1"]),
    "B6b": (["mlflow.pyfunc.spark_udf(spark, model_uri='models:/flight_delay@champion', result_type='double')",
             'udf = spark_udf(spark, "models:/flight_delay@champion")'],
            ['mlflow.pyfunc.spark_udf(spark, "models:/flight_delay/champion")',
             'mlflow.pyfunc.load_model("models:/flight_delay@champion")',
             'mlflow.pyfunc.spark_udf(sc, "models:/flight_delay@champion")']),
    "B7a": (["f3 and f4: 2", "2 files"], ["3", "f3: 1", "6"]),
    "B7c": (["f1 and f4: 2"], ["1", "3"]),
    "B8a": (["4 files", "4"], ["1", "120", "30"]),
    "B8c": (["120 files", "all 120"], ["4", "30", "1"]),
    "S1a": (["df.writeStream.trigger(availableNow=True).start()", "availableNow=True"],
            [".trigger(once=True)", ".trigger(availableNow='true')", '.trigger(processingTime="0 seconds")']),
    "S1c": ([".trigger(realTime='5000 milliseconds')", '.trigger(realTime="interval 5 seconds")'],
            [".trigger(realTime=5)", '.trigger(realTime="5 s")', '.trigger(processingTime="5 seconds")',
             '.trigger(continuous="5 seconds")']),
    "S4a": (["10:27:00", "10h27", "10:27 AM"], ["10:57", "10:32", "10:27 PM"]),
    "S4c": (["10:25:00", "10:25 am"], ["10:10", "10:15", "10:20"]),
    "S5b": (["3 partitions", "hours 10, 11 and 12: 3"], ["2", "1"]),
    "S7b": (["Complete", 'outputMode("complete")'], ["update", "append"]),
    "S9a": (["batch 7"], ["8", "0", "6"]),
    "R3b": (["https://adb-12.azuredatabricks.net/model/flight_delay/Staging/invocations",
             "/model/flight_delay/staging/invocations"],
            ["/model/flight_delay@Staging/invocations", "/invocations", "/api/model/flight_delay/Staging/invocations",
             "/serving-endpoints/flight_delay/invocations", "/model/Flight_Delay/Staging/invocations"]),
    "R5a": ([{"dataframe_split": {"data": [["AA", 733]], "columns": ["carrier", "distance"]}},
             '{"dataframe_split": {"columns": ["carrier", "distance"], "data": [["AA", 733]]}, "params": {}}'],
            ['{"columns": ["carrier", "distance"], "data": [["AA", 733]]}',
             '{"dataframe_records": [{"carrier": "AA", "distance": 733}]}',
             '{"dataframe_split": {"columns": ["carrier", "distance"], "data": [["AA", "733"]]}}']),
    "R5c": (["client.predict(inputs=body, endpoint='delays')", "response = client.predict(None, body, 'delays')"],
            ['client.predict("delays", body)', 'client.predict(endpoint="delays", inputs="body")',
             'requests.post("delays", json=body)']),
    "R7c": ([{"params": {"threshold": 0.7}, "dataframe_split": {"columns": ["carrier", "distance"], "data": [["AA", 733]]}}],
            ['{"dataframe_split": {"columns": ["carrier", "distance", "threshold"], "data": [["AA", 733, 0.7]]}}',
             '{"dataframe_split": {"columns": ["carrier", "distance"], "data": [["AA", 733]]}}',
             '{"dataframe_split": {"columns": ["carrier", "distance"], "data": [["AA", 733]]}, "params": {"threshold": 0.6}}']),
    "R8a": ([{"traffic_config": {"routes": [{"served_entity_name": "challenger", "traffic_percentage": 10},
                                            {"served_entity_name": "champion", "traffic_percentage": 90}]}}],
            ['{"routes": [{"served_model_name": "champion", "traffic_percentage": 0.9}, '
             '{"served_model_name": "challenger", "traffic_percentage": 0.1}]}',
             '{"routes": [{"served_model_name": "champion", "traffic_percentage": 10}, '
             '{"served_model_name": "challenger", "traffic_percentage": 90}]}']),
    "R9a": (["19 requests"], ["20", "1", "200"]),
    "R9b": (["8 / 0.040 = 200", "200 req/s"], ["25", "320", "5"]),
    "R9c": (["30 ms", "p90 = 30"], ["26", "200", "9"]),
}


def test_every_written_question_has_spellings_to_try():
    written = {q["id"] for q in exam.QUESTIONS if q["kind"] != "choice"}
    assert written == set(WRITTEN), f"add spellings for {written ^ set(WRITTEN)}"


@pytest.mark.parametrize("qid", sorted(WRITTEN))
def test_written_answers_right_and_wrong(qid):
    question = next(q for q in exam.QUESTIONS if q["id"] == qid)
    item = MARKER["Drawn"](question, [])
    key = ENTRIES[qid]["key"]
    right, wrong = WRITTEN[qid]
    for value in [ENTRIES[qid]["show"].strip("`"), *right]:
        ok, problem = MARKER["check"](item, value, key)
        assert ok, f"{qid}: {value!r} should be right ({problem})"
    for value in wrong:
        ok, _ = MARKER["check"](item, value, key)
        assert not ok, f"{qid}: {value!r} should be wrong"
