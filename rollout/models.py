# The rollout app's models. Notices live in rollout/notices/models.py.
from rollout.notices.models import AdminDigest, BouncedAddress, NoticeDelivery, NoticeTemplate, NoticeUnsubscribe  # noqa: F401
from rollout.signin.models import SignInEvent  # noqa: F401,E402
from rollout.health.models import Heartbeat  # noqa: F401,E402
