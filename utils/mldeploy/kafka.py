"""A real Kafka broker on the laptop: one KRaft node on loopback, no Docker, stopped for sure.

In a notebook or a test::

    from mldeploy import start_kafka
    with start_kafka() as kafka:                 # data in ./work/kafka, a free port near 9092
        kafka.bootstrap_servers                  # "127.0.0.1:9092": give it to producers, consumers, Spark

From a terminal: ``python -m mldeploy kafka start|status|stop`` (``status`` prints the bootstrap address).

The broker is Apache Kafka's own jars (``KAFKA_VERSION``), fetched once from Maven Central by the Ivy
jar that ships inside pyspark into the course's cache (``make setup`` does it, beside the Delta jars)
and started with the Java that Spark uses. Set ``KAFKA_BOOTSTRAP_SERVERS`` to use an existing cluster
instead: ``start_kafka()`` then starts nothing and every lesson talks to that cluster unchanged.

Spark's Kafka connector is part of every session ``get_spark()`` starts (see ``spark.py``).
"""

from __future__ import annotations

import base64
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from .paths import cache_dir, lesson_dir
from .ports import LOOPBACK, PortTakenError, reserve_port
from .servers import BackgroundServer
from .spark import SparkSetupError, find_java, require_java

KAFKA_VERSION = "4.1.1"
#: slf4j's bridge to log4j2: without it the broker logs nothing, not even why it stopped.
LOG_BRIDGE = ("org.apache.logging.log4j", "log4j-slf4j-impl", "2.24.3")
BOOTSTRAP_VARIABLE = "KAFKA_BOOTSTRAP_SERVERS"
DEFAULT_PORT = 9092
#: The KRaft controller's own listener; the broker reaches it over loopback.
DEFAULT_CONTROLLER_PORT = 9093
#: Where ``python -m mldeploy kafka start`` keeps its broker (lessons and tests use their own folders).
CLI_FOLDER_NAME = "kafka-broker"
STATE_FILE = "broker.json"


class KafkaSetupError(RuntimeError):
    """The broker could not start for a reason the learner can fix; the message says how."""


def broker_jars_dir() -> Path:
    """The broker's jars, one folder per Kafka version in the course's cache."""
    return cache_dir() / f"kafka_2.13-{KAFKA_VERSION}" / "libs"


def _ivy_module() -> str:
    kafka = f'<dependency org="org.apache.kafka" name="kafka_2.13" rev="{KAFKA_VERSION}" conf="default->default"/>'
    org, name, rev = LOG_BRIDGE
    bridge = f'<dependency org="{org}" name="{name}" rev="{rev}" conf="default->master"/>'
    return (f'<ivy-module version="2.0"><info organisation="mldeploy" module="kafka-broker"/>'
            f"<dependencies>{kafka}{bridge}</dependencies></ivy-module>")


def fetch_broker_jars() -> Path:
    """Download the broker's jars into the cache once (about 45 jars, 43 MB); later calls return at once."""
    folder = broker_jars_dir()
    done = folder / ".complete"
    if done.exists():
        return folder
    java = _java()
    import pyspark

    ivy_jars = glob.glob(os.path.join(os.path.dirname(pyspark.__file__), "jars", "ivy-*.jar"))
    if not ivy_jars:
        raise KafkaSetupError("pyspark's Ivy jar was not found; reinstall the course's environment (`make setup`).")
    folder.mkdir(parents=True, exist_ok=True)
    module = folder.parent / "ivy.xml"
    module.write_text(_ivy_module())
    # Its own Ivy cache: Spark's (ivy_dir()) holds resolver metadata this stand-alone Ivy misreads.
    ivy_cache = folder.parent / "ivy-cache"
    result = subprocess.run(
        [str(java), "-jar", ivy_jars[0], "-ivy", str(module), "-cache", str(ivy_cache),
         "-retrieve", f"{folder}/[artifact]-[revision](-[classifier]).[ext]"],
        capture_output=True, text=True,
    )
    if result.returncode != 0 or not list(folder.glob("kafka_2.13-*.jar")):
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-10:])
        raise KafkaSetupError(
            f"The Kafka broker's jars (org.apache.kafka:kafka_2.13:{KAFKA_VERSION}) could not be downloaded into "
            f"{folder}. Connect to the internet once and run `make setup` (or `python -m mldeploy jars`); "
            f"afterwards the broker starts offline. Or point {BOOTSTRAP_VARIABLE} at a Kafka you already run. "
            f"Ivy said:\n{tail}"
        )
    shutil.rmtree(ivy_cache, ignore_errors=True)  # the jars are in ``folder`` now; the cache would double the disk
    done.touch()
    return folder


def _java() -> Path:
    try:
        require_java()
    except SparkSetupError as error:
        raise KafkaSetupError(str(error).replace("Spark needs Java", "The Kafka broker needs Java")
                              .replace("Spark 4 needs", "Kafka 4 needs")) from None
    return find_java()  # type: ignore[return-value]


def cluster_id() -> str:
    """A new cluster's id, in Kafka's form: a random UUID, URL-safe base64 without padding.

    Like Kafka's own ``Uuid.randomUuid``, never one that starts with "-": the storage tool would read it as an option.
    """
    while True:
        candidate = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not candidate.startswith("-"):
            return candidate


def server_properties(data_dir: Path, port: int, controller_port: int) -> str:
    """One node that is both broker and controller, on loopback, sized for a laptop."""
    return "\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@{LOOPBACK}:{controller_port}",
        f"listeners=PLAINTEXT://{LOOPBACK}:{port},CONTROLLER://{LOOPBACK}:{controller_port}",
        f"advertised.listeners=PLAINTEXT://{LOOPBACK}:{port}",
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name=PLAINTEXT",
        f"log.dirs={data_dir}",
        # The course replays flights from 2013. Kafka deletes records by their timestamp, after 7 days by
        # default: events stamped with their event time would be deleted as soon as they arrive.
        "log.retention.ms=-1",
        # One node: no replicas; few partitions for the internal topics, so the first consumer group starts fast.
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=4",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "transaction.state.log.num.partitions=4",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "num.partitions=1",
        "",
    ])


LOG4J_PROPERTIES = """\
rootLogger.level = WARN
rootLogger.appenderRef.out.ref = OUT
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
logger.started.name = kafka.server.KafkaRaftServer
logger.started.level = INFO
"""


class KafkaBroker:
    """A running single-node broker: ``bootstrap_servers``, ``log``, ``stop()``, ``restart()``; a context manager.

    Its data stays in ``folder`` until the folder is deleted, so a restart (or a stopped and restarted
    broker) keeps every topic and record.
    """

    def __init__(self, folder: str | Path | None = None, port: int | None = None,
                 controller_port: int | None = None, timeout: float = 120) -> None:
        self.folder = Path(folder) if folder is not None else lesson_dir() / "kafka"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._timeout = timeout
        self._jars = fetch_broker_jars()
        self._java = _java()
        self._server: BackgroundServer | None = None
        self._start(port, controller_port)

    # -- start and stop -------------------------------------------------------------------------------------
    def _start(self, port: int | None, controller_port: int | None) -> None:
        try:
            controller = reserve_port(controller_port or DEFAULT_CONTROLLER_PORT, exact=controller_port is not None)
        except PortTakenError as error:
            raise KafkaSetupError(f"{error} The broker's controller needs that port; stop what holds it.") from None
        self._controller = controller
        try:
            self._server = BackgroundServer(
                "kafka", self._command, port or DEFAULT_PORT, ready_path=None, timeout=self._timeout,
                exact_port=port is not None, log_folder=self.folder,
            )
            self._wait_for_metadata()
        except PortTakenError as error:
            controller.release()
            raise KafkaSetupError(f"{error} Stop the program that holds it, or start the broker without a port "
                                  f"(start_kafka()) to get a free one.") from None
        except BaseException:
            self.stop()
            raise

    def _command(self, port: int) -> list[str]:
        data = self.folder / "data"
        properties = self.folder / "server.properties"
        properties.write_text(server_properties(data, port, self._controller.port))
        logging = self.folder / "log4j2.properties"
        logging.write_text(LOG4J_PROPERTIES)
        java = [str(self._java), "-Xms128m", "-Xmx512m", f"-Dlog4j2.configurationFile={logging}",
                "-cp", f"{self._jars}/*"]
        if not (data / "meta.properties").exists():  # a new folder: format its storage once (2 s)
            subprocess.run([*java, "kafka.tools.StorageTool", "format", "--ignore-formatted", "-t",
                            cluster_id(), "-c", str(properties)],
                           check=True, capture_output=True)
        return [*java, "kafka.Kafka", str(properties)]

    def _wait_for_metadata(self) -> None:
        """The port opens a moment before the broker serves requests: wait until it lists its topics."""
        from confluent_kafka.admin import AdminClient

        admin = AdminClient({"bootstrap.servers": self.bootstrap_servers})
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                if admin.list_topics(timeout=5).brokers:
                    return
            except Exception:  # noqa: BLE001 - KafkaException while the broker comes up
                pass
            if time.monotonic() > deadline or not self.running:
                raise KafkaSetupError(f"The Kafka broker did not come up; its log ({self.log}):\n"
                                      f"{self._server._log_tail() if self._server else ''}")
            time.sleep(0.25)

    @property
    def port(self) -> int:
        return self._server.port if self._server else 0

    @property
    def bootstrap_servers(self) -> str:
        """``host:port`` for producers, consumers and Spark's ``kafka.bootstrap.servers``."""
        return f"{LOOPBACK}:{self.port}"

    @property
    def log(self) -> Path:
        return self._server.log if self._server else self.folder / "kafka.log"

    @property
    def pid(self) -> int | None:
        return self._server.process.pid if self._server else None

    @property
    def running(self) -> bool:
        return bool(self._server and self._server.running)

    def stop(self) -> None:
        """Stop the broker (a clean shutdown, then SIGKILL after 10 s) and free its ports; safe to call twice."""
        if self._server is not None:
            self._server.stop()
        self._controller.release()

    def restart(self) -> None:
        """Stop and start again on the same ports with the same data, as after a broker crash or an upgrade."""
        port, controller = self.port, self._controller.port
        self.stop()
        self._start(port, controller)

    def detach(self) -> None:
        """Leave the broker running after this process ends (for ``python -m mldeploy kafka start``)."""
        if self._server is not None:
            self._server.detach()
        self._controller.release()

    def __enter__(self) -> "KafkaBroker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<Kafka broker at {self.bootstrap_servers}, {'running' if self.running else 'stopped'}, data {self.folder}>"


@dataclass
class ExternalKafka:
    """A cluster named by ``KAFKA_BOOTSTRAP_SERVERS``: the same attributes as ``KafkaBroker``, nothing to stop."""

    bootstrap_servers: str
    running: bool = True

    def stop(self) -> None:
        """Nothing to do: the course did not start this cluster."""

    def restart(self) -> None:
        raise KafkaSetupError(f"{BOOTSTRAP_VARIABLE} points at a cluster the course did not start; restart it "
                              "with its own tools.")

    def __enter__(self) -> "ExternalKafka":
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def start_kafka(folder: str | Path | None = None, port: int | None = None) -> KafkaBroker | ExternalKafka:
    """Start a local broker (data in ``folder``, default ``./work/kafka``), or use ``KAFKA_BOOTSTRAP_SERVERS``.

    Without ``port`` the broker takes 9092 or the nearest free port; with ``port`` it takes exactly that
    one or says what holds it.
    """
    external = os.environ.get(BOOTSTRAP_VARIABLE, "").strip()
    if external:
        return ExternalKafka(external)
    return KafkaBroker(folder, port)


# -- python -m mldeploy kafka start|status|stop -------------------------------------------------------------
def cli_folder() -> Path:
    return cache_dir() / CLI_FOLDER_NAME


def _state(folder: Path) -> dict | None:
    path = folder / STATE_FILE
    return json.loads(path.read_text()) if path.exists() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def cli(action: str, folder: Path | None = None, port: int | None = None) -> int:
    """``start`` (in the background, surviving this command), ``status`` or ``stop`` the learner's broker."""
    folder = folder or cli_folder()
    external = os.environ.get(BOOTSTRAP_VARIABLE, "").strip()
    if external:
        print(f"{BOOTSTRAP_VARIABLE}={external}: the course uses that cluster and starts no broker of its own.")
        return 0
    state = _state(folder)
    running = state is not None and _alive(state["pid"])
    if action == "status":
        if running:
            print(f"running  bootstrap servers {state['bootstrap_servers']}  (pid {state['pid']}, data {folder})")
            return 0
        print(f"not running (start it with: python -m mldeploy kafka start)")
        return 3
    if action == "start":
        if running:
            print(f"already running  bootstrap servers {state['bootstrap_servers']}  (pid {state['pid']})")
            return 0
        try:
            broker = KafkaBroker(folder, port)
        except KafkaSetupError as error:
            print(f"python -m mldeploy kafka start: {error}", file=sys.stderr)
            return 1
        broker.detach()
        (folder / STATE_FILE).write_text(json.dumps({"pid": broker.pid, "bootstrap_servers": broker.bootstrap_servers,
                                                     "log": str(broker.log)}))
        print(f"started  bootstrap servers {broker.bootstrap_servers}  (pid {broker.pid}, log {broker.log})")
        return 0
    if action == "stop":
        if running:
            os.killpg(state["pid"], signal.SIGTERM)
            deadline = time.monotonic() + 20
            while _alive(state["pid"]) and time.monotonic() < deadline:
                time.sleep(0.2)
            if _alive(state["pid"]):
                os.killpg(state["pid"], signal.SIGKILL)
            print(f"stopped (data kept in {folder})")
        else:
            print("not running")
        (folder / STATE_FILE).unlink(missing_ok=True)
        return 0
    raise ValueError(f"unknown action {action!r}: use start, status or stop")
