"""The courts' admin pages are registered by `accounts.admin.courts`.

Scoping each page to the courts a user administers needs `accounts` (court administrators), and
`courts` never imports `accounts`; so the ModelAdmins for Court, GoLive, GoLiveChange,
SoftwareVersionChange and Rollout live there.
"""
