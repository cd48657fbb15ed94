"""The development broker (`filesystem://`, no server) hands a worker whole messages only, even while
another process is writing: kombu's own transport let a reader take a file before it was written, and
the worker stopped on the empty message."""
import multiprocessing
import time

from kombu import Connection
from kombu.exceptions import ChannelError
from kombu.transport.virtual import Empty

from rollout.broker_files import Transport
from rollout.celery import app

# The race shows in most rounds of a few hundred messages, not in all: four rounds catch it.
ROUNDS, MESSAGES = 4, 500


def folders(path):
    return {"data_folder_in": str(path), "data_folder_out": str(path), "processed_folder": str(path),
            "control_folder": str(path), "store_processed": False}


def write(path):
    with Connection("filesystem://", transport_options=folders(path)) as connection:
        for number in range(MESSAGES):
            connection.default_channel._put("notices", {"number": number, "body": "x" * 20000})


def read(path, results):
    numbers, broken = [], []
    deadline = time.monotonic() + 50  # a lost message ends the round (counted short), not the test run
    with Connection("filesystem://", transport_options=folders(path)) as connection:
        channel = connection.default_channel
        while len(numbers) + len(broken) < MESSAGES and time.monotonic() < deadline:
            try:
                numbers.append(channel._get("notices")["number"])
            except Empty:
                continue
            except (ChannelError, ValueError) as exc:  # an empty or partial file fails to decode
                broken.append(repr(exc))
    results.put((numbers, broken))


def test_the_filesystem_scheme_is_the_whole_file_transport():
    assert app.main == "rollout"  # the Celery app, whose module maps the scheme, is loaded
    with Connection("filesystem://") as connection:
        assert type(connection.transport) is Transport


def race(path):
    """One round: a reader spinning on an empty queue folder while a writer fills it."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    reader = context.Process(target=read, args=(path, results))
    writer = context.Process(target=write, args=(path,))
    reader.start()
    writer.start()
    writer.join(60)
    numbers, broken = results.get(timeout=60)
    reader.join(10)
    return numbers, broken


def test_a_reader_racing_a_writer_gets_every_message_whole(tmp_path):
    for round_ in range(ROUNDS):
        (tmp_path / str(round_)).mkdir()
        numbers, broken = race(tmp_path / str(round_))
        assert broken == []
        assert sorted(numbers) == list(range(MESSAGES))
