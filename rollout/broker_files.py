"""The development broker: kombu's filesystem transport, with a message file appearing only whole.

kombu's writer creates a message file in the queue folder and then locks and writes it, while a reader
lists the folder and moves a file away without taking the lock; a reader that comes between the two
reads an empty file, fails to decode it and stops the worker ("Unrecoverable error: JSONDecodeError").
Here the writer writes the message under a name readers skip and renames it into place once it is
whole: a rename within a folder is atomic, so a reader sees the whole message or no file. Production
uses Redis and never this transport (its settings refuse the filesystem broker).

`_put` is one of the methods a kombu virtual transport implements (`kombu.transport.virtual.
AbstractChannel` lists them); the rest is kombu's filesystem transport as it is. The Celery app maps
the `filesystem://` scheme to this transport (`rollout/celery.py`), so settings, URLs and every check
of the scheme stay as they are.
"""
import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

# kombu's readers take only files named `<anything without a dot>.<queue>.msg`.
PARTIAL_SUFFIX = ".part"


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put a message on `queue`.

        1. Name it as kombu's readers expect: milliseconds, a UUID, the queue (they take the oldest first).
        2. Write it whole under that name plus `.part`, which no reader takes.
        3. Rename it to the name itself.
        """
        name = "{}_{}.{}.msg".format(int(round(monotonic() * 1000)), uuid.uuid4(), queue)
        path = os.path.join(self.data_folder_out, name)
        try:
            with open(path + PARTIAL_SUFFIX, "wb") as partial:
                partial.write(str_to_bytes(dumps(payload)))
            os.replace(path + PARTIAL_SUFFIX, path)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {path!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
