"""A password hasher for tests: Django's PBKDF2 with one iteration.

Each staff persona gets a password; at Django's million iterations that is about half a second a user,
most of the suite's set-up time. The hash keeps Django's own format (`pbkdf2_sha256$1$…`), and the
iteration count travels in it, so a server a test starts with the production hashers still accepts it.
"""
from django.contrib.auth.hashers import PBKDF2PasswordHasher


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 1
