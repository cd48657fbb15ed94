"""A tiny identity provider for the single sign-on tests: django-oauth-toolkit's OpenID Connect
provider (RS256, the key made by the test), run as its own process on loopback. Not part of the
tracker. Users whose username starts with `wrongaud-`, `expired-` or `unverified-` get an ID token
with a wrong audience, an expiry in the past, or `email_verified: false`: the protocol is real, only
those claims are bent."""
