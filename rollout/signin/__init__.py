"""Staff sign-in: django-allauth's log-in, MFA (WebAuthn keys, TOTP, recovery codes) and OpenID
Connect single sign-on, plus what the tracker adds around them: mandatory MFA for staff, sessions
that end, re-authentication before mass actions, sign-out everywhere and the sign-in log."""
