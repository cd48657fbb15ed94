"""Courts, the rollouts they go through (NextGen CM/ECF first), and each court's go-live."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone

from courts.input_checks import BAD_CHARACTERS, describe_character


HTTP_URL = URLValidator(schemes=["http", "https"])
# A phone number in the ten digits of the North American plan, as courts write it: "(406) 555-0100",
# "406-555-0100", "406.555.0100". Emergency instructions must give one when they mention a phone; a
# feed's help-desk phone text must start with one.
_PHONE = re.compile(r"\(?\b\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}\b")


def phone_number_digits(text: str) -> str:
    """The digits to dial for a feed's phone text, which may go on with a division, an extension or an
    option ("215-408-2800 Ext. 2368 (Philadelphia)"); "" when it does not start with a number ("N/A
    (Poughkeepsie)", "TBD (Room 201)", an email address)."""
    match = _PHONE.match(text.strip())
    return "".join(ch for ch in match.group() if ch.isdigit()) if match else ""


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except Exception:
        raise ValidationError(f"{value!r} is not an IANA time zone (for example America/Denver).") from None


class CourtType(models.TextChoices):
    DISTRICT = "district", "District"
    BANKRUPTCY = "bankruptcy", "Bankruptcy"
    APPELLATE = "appellate", "Appellate"
    NATIONAL = "national", "National"


class Court(models.Model):
    """A federal court as listed in the PACER "Court CM/ECF Lookup" feed."""

    court_id = models.CharField(
        max_length=16, unique=True, help_text="The feed's court_id, e.g. MTDC, UTDC, GUBK, 09BAP."
    )
    cmecf_code = models.CharField(
        max_length=16,
        db_index=True,
        blank=True,
        help_text="The CM/ECF code from the login URL (ecf.<code>.uscourts.gov), e.g. mtd, gub. "
        "A circuit's appeals court and its BAP share one.",
    )
    name = models.CharField(
        max_length=200,
        help_text="The court's display name, e.g. U.S. District Court for the District of Montana: derived from "
        "the feed (courts/names.py) unless an administrator set it.",
    )
    name_overridden = models.BooleanField(
        default=False, help_text="Set by an administrator: the feed import keeps this name."
    )
    feed_name = models.CharField(max_length=200, blank=True, help_text="The feed's own court_name, as typed by the court.")
    title = models.CharField(max_length=200, blank=True, help_text="The feed's title, e.g. Montana District Court.")
    court_type = models.CharField(max_length=16, choices=CourtType.choices, db_index=True)
    circuit = models.CharField(max_length=4, blank=True, db_index=True, help_text="01–11, DC or FC.")
    state = models.CharField(max_length=64, blank=True, help_text="Main state or territory the court sits in.")
    time_zone = models.CharField(
        max_length=64,
        default="America/New_York",
        validators=[validate_time_zone],
        help_text="IANA time zone of the court; go-live dates and notices follow it.",
    )
    time_zone_overridden = models.BooleanField(
        default=False, help_text="Set by an administrator: the feed import keeps this time zone."
    )
    # http(s) only (URLField alone also takes ftp): these become links on pages and in emails.
    login_url = models.URLField(blank=True, validators=[HTTP_URL], help_text="The court's CM/ECF site.")
    web_url = models.URLField(blank=True, validators=[HTTP_URL], help_text="The court's public web site.")
    rss_url = models.URLField(blank=True, validators=[HTTP_URL])
    help_desk_phones = models.JSONField(default=list, blank=True, help_text="CM/ECF help-desk phone numbers.")
    locations = models.JSONField(default=list, blank=True, help_text="Offices: name, address, email, hours, phone.")
    software_version = models.CharField(max_length=120, blank=True, help_text="CM/ECF release the court runs.")
    cmecf_start_text = models.CharField(
        max_length=255, blank=True, help_text="The feed's free-text go_live_date: when the court first used CM/ECF."
    )
    cmecf_start_date = models.DateField(
        null=True, blank=True, help_text="cmecf_start_text parsed, when the text names one clear date."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "court_id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.court_id})"

    @property
    def display_name(self) -> str:
        return self.name

    @property
    def help_desk_name(self) -> str:
        """E.g. "CM/ECF help desk of the U.S. District Court for the District of Montana"."""
        from courts.names import help_desk_name

        return help_desk_name(self.name)

    @property
    def zone_abbreviation(self) -> str:
        """The zone's abbreviation now (MST or MDT), for labels such as "times in MST"."""
        return timezone.now().astimezone(self.tzinfo).strftime("%Z")

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def help_desk_phone_numbers(self) -> list[str]:
        """The help-desk phones that give a number: the feed lists one per division for many courts
        ("205-714-4000 (Birmingham)"), and sometimes a division with none ("N/A (Poughkeepsie)")."""
        return [phone for phone in self.help_desk_phones if phone_number_digits(phone)]

    @property
    def help_desk_phone_links(self) -> list[tuple[str, str]]:
        """(tel: URI, text) per help-desk phone with a number: the URI dials the number alone
        ("tel:2154082800" for "215-408-2800 Ext. 2368 (Philadelphia)"), the text says it all."""
        return [(f"tel:{phone_number_digits(phone)}", phone) for phone in self.help_desk_phone_numbers]

    @property
    def help_desk_phone(self) -> str:
        """Every help-desk phone in one line, for notices and messages: a filer in any division
        finds theirs, not only the first division's."""
        return "; ".join(self.help_desk_phone_numbers)

    def local_midnight(self, day: dt.date) -> dt.datetime:
        """The instant the calendar day `day` starts in the court's own time zone (aware, any tz)."""
        return dt.datetime.combine(day, dt.time.min, tzinfo=self.tzinfo)

    def local_today(self, now: dt.datetime | None = None) -> dt.date:
        return (now or timezone.now()).astimezone(self.tzinfo).date()


class SoftwareVersionChange(models.Model):
    """A change of the CM/ECF release a court runs, as seen in the PACER feed."""

    court = models.ForeignKey(Court, on_delete=models.CASCADE, related_name="software_version_changes")
    old_version = models.CharField(max_length=120, blank=True)
    new_version = models.CharField(max_length=120)
    seen_on = models.DateField(help_text="Date the import first saw the new version.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-seen_on", "-id"]

    def __str__(self) -> str:
        return f"{self.court.court_id}: {self.old_version or '—'} → {self.new_version} ({self.seen_on})"


class Rollout(models.Model):
    """A release that courts adopt one by one; NextGen CM/ECF is the first one tracked."""

    slug = models.SlugField(unique=True, help_text="e.g. nextgen")
    name = models.CharField(max_length=120, help_text="e.g. NextGen CM/ECF")
    is_current = models.BooleanField(
        default=False, help_text="The rollout the dashboard, readiness and notices follow (only one)."
    )
    # The public feeds carry the name (calendar name, event summaries): a rename is a modification of them.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=models.Q(is_current=True), name="one_current_rollout")
        ]

    def __str__(self) -> str:
        return self.name


class GoLiveStatus(models.TextChoices):
    NOT_SCHEDULED = "not_scheduled", "Not scheduled"
    SCHEDULED = "scheduled", "Scheduled"
    LIVE = "live", "Live"
    POSTPONED = "postponed", "Postponed"


_EMAIL = re.compile(r"[^@\s<>()]+@[^@\s<>()]+\.[A-Za-z]{2,}")
_URL = re.compile(r"https?://\S+\.\S+", re.IGNORECASE)
_STREET = re.compile(r"\b\d{1,6}\s+[A-Za-z]")
# What a sentence refers to -> what it must then give (any one of the patterns).
_REFERENCES = [
    (re.compile(r"e-?mail", re.IGNORECASE), "an email address", (_EMAIL,)),
    (re.compile(r"\baddress", re.IGNORECASE), "the address", (_EMAIL, _URL, _STREET)),
    (re.compile(r"\b(call|phone|telephone|dial|number)\b", re.IGNORECASE), "a phone number", (_PHONE,)),
    (re.compile(r"\b(web ?site|online|portal|link|url)\b", re.IGNORECASE), "a web address (https://…)", (_URL,)),
]


def emergency_instructions_problem(text: str) -> str:
    """Why emergency-filing instructions are incomplete or cannot be shown ("" = fine): instructions
    that refer to an email, an address, a phone number or a web site must give it, since the notice
    quoting them is all a filer has during the blackout; and they hold no character no field may hold
    (`courts.input_checks.bad_character`) but line ends and tabs, since the public page, every notice
    and every calendar event show them as typed."""
    found = BAD_CHARACTERS.search(re.sub(r"[\r\n\t]", " ", text or ""))
    if found:
        return (f"The instructions hold {describe_character(found.group())} at character {found.start() + 1}; "
                "type that part again (line breaks are fine).")
    for mention, what, patterns in _REFERENCES:
        if mention.search(text or "") and not any(p.search(text) for p in patterns):
            return f"The instructions mention {mention.search(text).group(0)!r} but do not give {what}."
    return ""


# Statuses with a firm date (and so possibly a blackout); the lifecycle's rules are in courts/services.py.
FIRM = (GoLiveStatus.SCHEDULED, GoLiveStatus.LIVE)
BLACKOUT_DAYS_AROUND = 3  # a blackout ends on the go-live day or at most this many days before or after it
BLACKOUT_MAX_DAYS = 7
GOLIVE_MAX_YEARS_AHEAD = 10  # a go-live date further off is a typo (9999-12-31), and overflows day arithmetic
# Before any court ran CM/ECF: a typo (0001-01-01), whose midnight in a zone east of UTC is not a datetime.
GOLIVE_EARLIEST = dt.date(2000, 1, 1)
# A reminder day is added to the go-live date: past a few years it is a typo, and a huge one overflows the
# date arithmetic of the notice dispatcher.
REMINDER_DAYS_MAX = 3650


class GoLive(models.Model):
    """One court's go-live on one rollout: its date, status, blackout and notice cadence."""

    court = models.ForeignKey(Court, on_delete=models.CASCADE, related_name="golives")
    rollout = models.ForeignKey(Rollout, on_delete=models.PROTECT, related_name="golives")
    go_live_date = models.DateField(
        "go-live date", null=True, blank=True, help_text="Calendar date in the court's own time zone; the court is live from its start."
    )
    live_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        editable=False,
        help_text="The instant go_live_date starts in the court's time zone (kept by the services).",
    )
    status = models.CharField(
        max_length=16, choices=GoLiveStatus.choices, default=GoLiveStatus.NOT_SCHEDULED, db_index=True
    )
    blackout_start = models.DateTimeField(null=True, blank=True, help_text="Electronic filing stops at.")
    blackout_end = models.DateTimeField(null=True, blank=True, help_text="Electronic filing resumes at.")
    emergency_filing_instructions = models.TextField(
        blank=True, help_text="What filers do for an emergency filing during the blackout."
    )
    prepare_days_before = models.PositiveSmallIntegerField(
        default=30, help_text="Days before go-live that the prepare notice goes out."
    )
    reminder_days_after = models.JSONField(
        default=list, blank=True, help_text="Days after go-live on which unlinked filers are reminded, e.g. [7, 14, 30]."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "go-live"
        ordering = ["go_live_date", "court__name"]
        constraints = [
            models.UniqueConstraint(fields=["court", "rollout"], name="one_golive_per_court_and_rollout"),
            # The lifecycle's rules a row can express alone (the rest need the court's zone and today).
            models.CheckConstraint(
                condition=~models.Q(status__in=FIRM) | models.Q(go_live_date__isnull=False),
                name="golive_firm_has_date",
                violation_error_message="A scheduled or live court needs a go-live date.",
            ),
            models.CheckConstraint(
                condition=models.Q(blackout_start__isnull=True, blackout_end__isnull=True)
                | models.Q(blackout_start__isnull=False, blackout_end__gt=models.F("blackout_start")),
                name="golive_blackout_whole",
                violation_error_message="A blackout has a start and an end after it.",
            ),
            models.CheckConstraint(
                condition=models.Q(blackout_start__isnull=True) | models.Q(status__in=FIRM),
                name="golive_blackout_only_when_firm",
                violation_error_message="A postponed or unscheduled court has no filing blackout.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.court.court_id} {self.rollout.slug} {self.go_live_date or 'unscheduled'}"

    def clean(self) -> None:
        if self.status in (GoLiveStatus.SCHEDULED, GoLiveStatus.LIVE) and not self.go_live_date:
            raise ValidationError({"go_live_date": "A scheduled or live court needs a go-live date."})
        if self.blackout_start and self.blackout_end and self.blackout_end <= self.blackout_start:
            raise ValidationError({"blackout_end": "The blackout must end after it starts."})
        if (self.blackout_start or self.blackout_end) and not (self.blackout_start and self.blackout_end):
            raise ValidationError({"blackout_end": "Give both the start and the end of the blackout."})
        if self.blackout_start and self.status not in FIRM:
            raise ValidationError({"blackout_start": "A postponed or unscheduled court has no filing blackout."})
        problem = emergency_instructions_problem(self.emergency_filing_instructions)
        if problem:
            raise ValidationError({"emergency_filing_instructions": problem})
        days = self.reminder_days_after
        if not isinstance(days, list) or not all(isinstance(d, int) for d in days):
            raise ValidationError({"reminder_days_after": "A list of whole numbers of days, e.g. [7, 14, 30]."})
        if not all(0 < d <= REMINDER_DAYS_MAX for d in days):
            raise ValidationError({"reminder_days_after": (
                f"Each reminder day is from 1 to {REMINDER_DAYS_MAX} days after the go-live date, e.g. [7, 14, 30].")})

    def compute_live_at(self) -> dt.datetime | None:
        if self.go_live_date is None:
            return None
        return self.court.local_midnight(self.go_live_date)

    def is_live(self, now: dt.datetime | None = None) -> bool:
        """Live from the start of the go-live date in the court's time zone (postponed courts are not)."""
        if self.status == GoLiveStatus.LIVE:
            return True
        if self.status != GoLiveStatus.SCHEDULED or self.live_at is None:
            return False
        return (now or timezone.now()) >= self.live_at

    @property
    def has_blackout(self) -> bool:
        return bool(self.blackout_start and self.blackout_end)


class GoLiveChange(models.Model):
    """Every change of a go-live's date or status, and of the filing pause (blackout) of a scheduled or
    live go-live: filers told the old date or window must be told again."""

    golive = models.ForeignKey(GoLive, on_delete=models.CASCADE, related_name="changes")
    old_date = models.DateField(null=True, blank=True)
    new_date = models.DateField(null=True, blank=True)
    old_status = models.CharField(max_length=16, choices=GoLiveStatus.choices, blank=True)
    new_status = models.CharField(max_length=16, choices=GoLiveStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=120, blank=True, help_text="What made the change when no user did: seed, import, schedule.")
    reason = models.CharField(max_length=255, blank=True)
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The filing pause before and after (both empty: none). Recorded on every change; a change of the
    # pause alone is one too (`blackout_only`).
    old_blackout_start = models.DateTimeField(null=True, blank=True)
    old_blackout_end = models.DateTimeField(null=True, blank=True)
    new_blackout_start = models.DateTimeField(null=True, blank=True)
    new_blackout_end = models.DateTimeField(null=True, blank=True)
    # What to do for an emergency filing during the pause, before and after: part of what filers are
    # told about the pause, so a change of it alone is announced like a new window.
    old_emergency_instructions = models.TextField(blank=True, default="")
    new_emergency_instructions = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = "go-live change"
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.golive.court.court_id}: {self.old_date} → {self.new_date} ({self.new_status})"

    @property
    def date_changed(self) -> bool:
        return self.old_date != self.new_date

    @property
    def blackout_only(self) -> bool:
        """Only the filing pause changed (the date and status stayed): its window, its emergency
        instructions or both."""
        return not self.date_changed and self.old_status == self.new_status

    @property
    def pause_window_kept(self) -> bool:
        """The pause's window stayed (only its emergency instructions changed)."""
        return (self.old_blackout_start, self.old_blackout_end) == (self.new_blackout_start, self.new_blackout_end)
