"""The practice exam's paper: a seeded, guide-weighted draw from the question bank, shown and marked.

- :func:`draw` picks, for each syllabus objective, the number of questions the blueprint (``bank.BLUEPRINT``)
  gives it, at random among the bank's questions for that objective, and shuffles each multiple-choice
  question's options. The same seed gives the same paper on any machine (``random.Random`` seeded with a
  string, one per objective, so that a question added to one objective changes no other objective's draws),
  and the grader draws the learner's paper again from the learner's seed.
- :class:`Paper` shows an objective's questions (``paper.show("M4")``), prints the answer dict to fill in
  (``paper.template("M")``) and checks its form (:func:`check_format`, which also stamps the paper's clock,
  ``clock.py``, when one was started).
- :func:`mark` is what the hidden test cells call: it draws the paper again, reads each answer with
  ``parsers.py``, compares it with the key the cell holds, prints for each miss the right answer, why, and
  why the answer given is wrong, and returns the number right (nbgrader's partial credit).

The keys are not in this package (it is readable from a grading sandbox): each hidden test cell holds its
objective's keys. Standard library only; the hidden cells load this file afresh with ``runpy`` (and this file
loads ``parsers.py`` and ``bank.py`` the same way), so nothing the learner's kernel changed in an imported
``mldeploy`` reaches the marking.
"""

from __future__ import annotations

import ast
import os
import random
import runpy
import sys
import types

_HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name: str) -> types.SimpleNamespace:
    return types.SimpleNamespace(**runpy.run_path(os.path.join(_HERE, name)))


P = _load("parsers.py")
BANK = _load("bank.py")
CLOCK = _load("clock.py")

QUESTIONS = {question["id"]: question for question in BANK.QUESTIONS}
OBJECTIVES = list(BANK.BLUEPRINT)
GROUPS = {oid[0] for oid in OBJECTIVES}
ANSWER_FORMS = {
    "choice": 'a letter, "a" to "d"',
    "number": "a number",
    "time": "a time of day, HH:MM",
}


class Drawn:
    """One question of a paper: the bank's question and, for multiple choice, the order its options are shown in."""

    def __init__(self, question: dict, order: list[int]) -> None:
        self.question, self.order = question, order
        self.id, self.objective, self.kind = question["id"], question["objective"], question["kind"]

    @property
    def letters(self) -> list[str]:
        return [P.LETTERS[position] for position in range(len(self.order))]

    def shown_letter(self, original: str) -> str:
        """The letter an option has on this paper, from its letter in the bank."""
        return P.LETTERS[self.order.index(P.LETTERS.index(original))]

    def original_letter(self, shown: str) -> str | None:
        """The bank letter of the option shown as ``shown`` on this paper."""
        if shown not in self.letters:
            return None
        return P.LETTERS[self.order[P.LETTERS.index(shown)]]

    def option_text(self, shown: str) -> str:
        return self.question["options"][self.order[P.LETTERS.index(shown)]]

    def answer_form(self) -> str:
        if self.kind == "choice":
            return ANSWER_FORMS["choice"].replace('"d"', f'"{self.letters[-1]}"')
        return self.question.get("answer") or ANSWER_FORMS.get(self.kind, "text")

    def markdown(self) -> str:
        lines = [f"**{self.id}.** {self.question['stem']}", ""]
        if self.kind == "choice":
            lines += [f"- ({letter}) {self.option_text(letter)}" for letter in self.letters]
        else:
            lines.append(f"*Answer: {self.answer_form()}.*")
        return "\n".join(lines)


class Paper:
    """The questions drawn for one seed, grouped by objective in syllabus order."""

    def __init__(self, seed: int, drawn: list[Drawn]) -> None:
        self.seed, self.drawn = seed, drawn
        self.by_id = {item.id: item for item in drawn}

    def __len__(self) -> int:
        return len(self.drawn)

    def questions(self, objective_or_group: str) -> list[Drawn]:
        """The drawn questions of an objective (``"M4"``) or of a group (``"M"``), in paper order."""
        if objective_or_group in GROUPS:
            return [item for item in self.drawn if item.objective[0] == objective_or_group]
        return [item for item in self.drawn if item.objective == objective_or_group]

    def ids(self, objective_or_group: str) -> list[str]:
        return [item.id for item in self.questions(objective_or_group)]

    def markdown(self, objective_or_group: str) -> str:
        return "\n\n".join(item.markdown() for item in self.questions(objective_or_group))

    def show(self, objective_or_group: str) -> None:
        """Display the questions of an objective or a group (Markdown in a notebook, text elsewhere)."""
        text = self.markdown(objective_or_group)
        try:
            from IPython import get_ipython
            from IPython.display import Markdown, display
        except ImportError:
            print(text)
            return
        if get_ipython() is None:
            print(text)
        else:
            display(Markdown(text))

    def template(self, group: str) -> None:
        """Print the answer dict of a group, to copy into the answer cell and fill in."""
        lines = [f"answers_{group} = {{"]
        for item in self.questions(group):
            lines.append(f"    {item.id!r}: None,  # {item.answer_form()}")
        lines.append("}")
        print("\n".join(lines))

    def summary(self) -> None:
        counts = {group: len(self.questions(group)) for group in sorted(GROUPS, key="MBSRD".index)}
        text = (f"Paper {self.seed}: {len(self)} questions ("
                + ", ".join(f"{group} {count}" for group, count in counts.items())
                + f"), drawn from a bank of {len(QUESTIONS)}.")
        print(text)


def _seed_value(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"SEED must be a whole number (an int), not {seed!r}")
    return int(seed)


def draw(seed: int) -> Paper:
    """The paper for ``seed``: BLUEPRINT[objective] questions per objective, options shuffled."""
    seed = _seed_value(seed)
    drawn = []
    for objective in OBJECTIVES:
        # One generator per objective: a question added to one objective changes only that objective's draws.
        rng = random.Random(f"mldeploy practice exam, paper {seed}, {objective}")
        pool = [question for question in BANK.QUESTIONS if question["objective"] == objective]
        chosen = rng.sample(range(len(pool)), BANK.BLUEPRINT[objective])
        for index in sorted(chosen):
            question = pool[index]
            order = list(range(len(question.get("options", []))))
            if question["kind"] == "choice" and question.get("shuffle", True):
                rng.shuffle(order)
            drawn.append(Drawn(question, order))
    return Paper(seed, drawn)


# ---- answers as plain data ---------------------------------------------------------------------------


class _Unreadable:
    """Stands for an answer of a type the marking does not read (an object of the learner's own class)."""

    def __repr__(self) -> str:
        return "<an object the marking does not read: use a str, a number, a dict or a list>"


def _plain(value, depth: int = 0):
    """A copy of an answer made of exact built-in types only (str, int, float, bool, None, dict, list).

    Subclasses are read through the base type's own methods, and NumPy scalars through their exact type's
    ``item()``, so an answer object cannot change how the marking sees it (a ``__str__`` that looks for the
    key, say).
    """
    if depth > 20:
        return _Unreadable()
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, dict):
        return {_plain(key, depth + 1) if isinstance(key, str) else repr(_Unreadable()):
                _plain(item, depth + 1) for key, item in dict.items(value)}
    if isinstance(value, list):
        return [_plain(item, depth + 1) for item in list.copy(value)]
    if isinstance(value, tuple):
        return [_plain(tuple.__getitem__(value, index), depth + 1) for index in range(tuple.__len__(value))]
    numpy = sys.modules.get("numpy")
    if numpy is not None and kind in (numpy.float64, numpy.float32, numpy.float16, numpy.int64, numpy.int32,
                                      numpy.int16, numpy.int8, numpy.uint64, numpy.uint32, numpy.uint16,
                                      numpy.uint8, numpy.bool_, numpy.str_):
        return _plain(kind.item(value), depth + 1)
    return _Unreadable()


def _plain_answers(answers) -> dict:
    if not isinstance(answers, dict):
        return {}
    return {str.__str__(key): _plain(value) for key, value in dict.items(answers) if isinstance(key, str)}


# ---- the form of the answers (the visible format checks) -------------------------------------------------


def _form_problem(item: Drawn, value) -> str | None:
    if isinstance(value, _Unreadable):
        return "not a str, a number, a dict or a list"
    if value is None or isinstance(value, bool) or (isinstance(value, str) and not value.strip()):
        return "no answer yet"
    if item.kind == "choice":
        letter = P.choice_letter(value)
        return None if letter in item.letters else f"not one of the letters {', '.join(item.letters)}"
    if item.kind == "number":
        try:
            P.number(value)
        except P.AnswerError as error:
            return str(error)
        return None
    return None


def check_format(seed, group: str, answers) -> None:
    """Raise AssertionError, saying what to fix, unless ``answers`` answers every question of ``group`` on
    paper ``seed`` in the form asked. Content is not checked here (the hidden tests mark it)."""
    paper = draw(seed)
    name = f"answers_{group}"
    assert isinstance(answers, dict), (f"{name} should be a dict: run paper.template({group!r}), copy what it "
                                       "prints into the answer cell and fill it in.")
    answers = _plain_answers(answers)
    expected = paper.ids(group)
    missing = [key for key in expected if key not in answers]
    assert not missing, (f"Answer every question of group {group} on your paper (SEED = {seed}): missing "
                         f"{missing}. If you changed SEED, run paper.template({group!r}) again.")
    problems = {key: _form_problem(paper.by_id[key], answers[key]) for key in expected}
    problems = {key: problem for key, problem in problems.items() if problem}
    assert not problems, ("These answers are missing or not of the form asked (see the comment after each key "
                          f"in paper.template({group!r})): "
                          + "; ".join(f"{key}: {problem} ({answers[key]!r})" for key, problem in problems.items()))
    extra = sorted(set(answers) - set(expected))
    note = f" ({len(extra)} key(s) not on this paper are ignored: {extra})" if extra else ""
    clock = CLOCK.running(paper.seed, len(paper))
    timing = f" In at minute {clock.stamp(group):.0f} of {clock.minutes}." if clock else ""
    print(f"All {len(expected)} answers of group {group} are in; the hidden tests mark them.{note}{timing}")


# ---- marking (the hidden tests) ----------------------------------------------------------------------


def _same_uri(given: dict, expected: dict) -> str | None:
    """None when the parsed URI is the expected one; else why not."""
    name = expected["name"]
    if "model_id" in given:
        return f"`models:/{given['model_id']}` names a logged model by id, not a registered model's version"
    if given["name"] != name:
        if given["name"].lower() == name.lower():
            return f"model names are case-sensitive in the registry: `{given['name']}` is not `{name}`"
        return f"that names the model `{given['name']}`, not `{name}`"
    if "alias" in expected:
        if "alias" in given:
            if given["alias"] == expected["alias"]:
                return None
            if given["alias"].lower() == expected["alias"].lower():
                return f"aliases are matched as written: `@{given['alias']}` is not `@{expected['alias']}`"
            return f"that is the alias `@{given['alias']}`, not `@{expected['alias']}`"
        if "stage" in given:
            return (f"after a slash MLflow reads `{given['stage']}` as a (legacy) stage name; an alias follows "
                    "`@`: `models:/<name>@<alias>`")
        if "version" in given:
            return f"`/{given['version']}` pins version {given['version']}: it would not follow the alias when it moves"
        return "`/latest` is the newest version, whatever the aliases say"
    if "stage" in expected:
        if "stage" in given:
            return None if given["stage"].lower() == expected["stage"].lower() else (
                f"the stage is `{expected['stage']}`, not `{given['stage']}`")
        if "alias" in given:
            return f"`@{given['alias']}` asks for an alias of that name; a stage follows a slash"
        return "that URI does not name the stage"
    if "version" in expected:
        if given.get("version") == expected["version"]:
            return None
        if "alias" in given:
            return f"`@` introduces an alias name, not a version number: `models:/{name}/{expected['version']}`"
        return f"that does not name version {expected['version']}"
    if expected.get("latest"):
        if given.get("latest") or given.get("alias", "").lower() == "latest":
            return None
        return "that URI does not ask for the newest version"
    raise ValueError(f"bad key {expected!r}")


def _same(given, expected, loose: bool = False) -> bool:
    if isinstance(expected, dict) and set(expected) == {"code"}:
        return isinstance(given, str) and type(given).__name__ == "_Code" and given == expected["code"]
    if loose and isinstance(expected, int) and isinstance(given, str) and given.strip().isdigit():
        return int(given) == expected
    return P.same_values(given, expected)


def check(item: Drawn, value, key) -> tuple[bool, str | None]:
    """Whether ``value`` answers ``item`` as ``key`` says, and if not, what is wrong with it (or None)."""
    kind = item.kind
    try:
        if kind == "choice":
            letter = P.choice_letter(value)
            if letter is None or letter not in item.letters:
                return False, None
            return item.original_letter(letter) == key, None
        if kind == "number":
            got = P.number(value)
            ok = abs(got - key["value"]) <= key.get("tolerance", 0) + 1e-9
            return ok, None if ok else f"read as {got:g}"
        if kind == "time":
            got, want = P.clock_minutes(value), P.clock_minutes(key)
            return got == want, None if got == want else f"read as {got // 60:02d}:{got % 60:02d}"
        if kind == "model_uri":
            problem = _same_uri(P.model_uri(value), key)
            return problem is None, problem
        if kind == "trigger":
            keyword, setting = P.trigger(value)
            (want_keyword, want_setting), = key.items()
            if keyword != want_keyword:
                return False, f"that is a `{keyword}` trigger"
            ok = setting == want_setting
            return ok, None if ok else f"read as {setting:g} seconds"
        if kind == "spark_udf":
            call = P.spark_udf_call(value)
            if call["spark"] != key["spark"]:
                return False, f"the first argument is the Spark session, `{key['spark']}` here"
            problem = _same_uri(call["model"], key["model"])
            return problem is None, problem
        if kind == "mlflow_run":
            command = P.mlflow_run(value)
            if not P.is_current_folder(command["uri"]):
                return False, f"`{command['uri']}` is not the current folder (`.`)"
            if command["entry_point"] != key.get("entry_point", "main"):
                return False, f"entry point `{command['entry_point']}` instead of `{key.get('entry_point', 'main')}`"
            params = {}
            for name, text in command["params"].items():
                try:
                    params[name] = P.number(text)
                except P.AnswerError:
                    params[name] = text
            if params != key["params"]:
                return False, f"the parameters given are {command['params']}"
            if command["env_manager"] != key.get("env_manager"):
                return False, ("without `--env-manager`, MLflow picks the project's own environment manager and "
                               "builds that environment" if command["env_manager"] is None
                               else f"`--env-manager {command['env_manager']}` builds or uses another environment")
            return True, None
        if kind == "scoring_body":
            body = P.scoring_body(value)
            if body["format"] != key["format"]:
                return False, f"that is a `{body['format']}` body; the question asks for `{key['format']}`"
            if not P.same_values(body.get("rows"), key["rows"]):
                return False, f"its rows read as {body.get('rows')} (check the names, and numbers as numbers)"
            if "params" in key and not P.same_values(body["params"], key["params"]):
                return False, f"its params read as {body['params']}"
            return True, None
        if kind == "routes":
            routes = P.traffic_routes(value)
            return routes == key, None if routes == key else f"the routes read as {routes}"
        if kind == "path":
            path = P.serving_path(value)
            segments = path.strip("/").split("/")
            want = key["segments"]
            ok = len(segments) == len(want) and all(
                got == expected or (index in key.get("any_case", ()) and got.lower() == expected.lower())
                for index, (got, expected) in enumerate(zip(segments, want)))
            return ok, None if ok else f"the path reads as `{path}`"
        if kind == "import":
            module, alias = P.import_alias(value)
            ok = [module, alias] == list(key)
            return ok, None if ok else f"that imports `{module}` as `{alias}`"
        if kind == "keyword":
            name = P.keyword_name(value)
            ok = name == key
            return ok, None if ok else (f"keyword arguments are case-sensitive: `{name}`" if name.lower() == key.lower()
                                        else f"read as the keyword `{name}`")
        if kind == "output_mode":
            mode = P.output_mode(value)
            return mode == key, None if mode == key else f"read as `{mode}`"
        if kind == "call":
            function, args, kwargs = P.python_call(value, key["function"])
            names = key["params"]
            if len(args) > len(names):
                return False, "too many positional arguments"
            bound = dict(zip(names, args))
            for name, setting in kwargs.items():
                if name in bound:
                    return False, f"`{name}` is given twice (TypeError)"
                if name not in names:
                    return False, f"`{key['function']}` has no argument `{name}`"
                bound[name] = setting
            for name, expected in key["values"].items():
                if name not in bound or not _same(bound[name], expected, name in key.get("loose", ())):
                    shown = bound.get(name, "nothing")
                    return False, f"`{name}` is {shown!r} here" + (
                        f" (positionally, the arguments are {', '.join(names)})" if args else "")
            return True, None
        if kind == "expression":
            tree = P._python(value)
            if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
                return False, "write one expression"
            written = ast.unparse(tree.body[0].value)
            accepted = {ast.unparse(ast.parse(text, mode="eval").body) for text in key}
            return written in accepted, None if written in accepted else f"read as `{written}`"
    except P.AnswerError as error:
        return False, f"could not be read: {error}"
    raise ValueError(f"unknown question kind {kind!r}")


def _shown_key(item: Drawn, key) -> str:
    if item.kind == "choice":
        letter = item.shown_letter(key)
        return f"({letter}) {item.option_text(letter)}"
    return ""


def mark(objective: str, seed, answers, tally: dict, keys: dict) -> int:
    """Mark the questions of ``objective`` on paper ``seed``: print each miss with its explanation, record
    (right, asked) in ``tally`` and return the number right (the cell's partial credit, in points).

    ``keys`` maps each bank question of the objective to {"key", "why", and "wrong" (for multiple choice,
    a reason per wrong bank letter; for a written answer, a hint), "show" (a written answer's model answer)}.
    """
    paper = draw(seed)
    asked = paper.questions(objective)
    unknown = [item.id for item in asked if item.id not in keys]
    if unknown:
        raise KeyError(f"the grader has no key for {unknown}")
    answers = _plain_answers(answers)
    right = 0
    for item in asked:
        entry, given = keys[item.id], answers.get(item.id)
        try:
            ok, problem = check(item, given, entry["key"])
        except (ValueError, TypeError, OverflowError, RecursionError, MemoryError) as error:
            ok, problem = False, f"could not be read ({type(error).__name__})"
        if ok:
            right += 1
            continue
        if item.kind == "choice":
            letter = P.choice_letter(given)
            you = f"({letter}) {item.option_text(letter)}" if letter in item.letters else repr(given)
            print(f"{item.id}: you answered {you}\n    The answer is {_shown_key(item, entry['key'])}\n"
                  f"    Why: {entry['why']}")
            original = item.original_letter(letter) if letter in item.letters else None
            if original in entry.get("wrong", {}):
                print(f"    Why not ({letter}): {entry['wrong'][original]}")
        else:
            print(f"{item.id}: you answered {given!r}" + (f" ({problem})" if problem else "")
                  + f"\n    The answer is {entry['show']}\n    Why: {entry['why']}")
            if entry.get("wrong"):
                print(f"    Also: {entry['wrong']}")
    tally[objective] = (right, len(asked))
    print(f"{objective}: {right}/{len(asked)} right on paper {paper.seed}")
    return right
