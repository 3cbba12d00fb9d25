"""Involvement and fair payment, as pure rules: attendance, hours, rates, money, claims, the
budget's pace and a fair share of facilitation (no SQLAlchemy, no Slack).

Money is integer pence (minor units) everywhere; it is parsed with Decimal and never passes
through a float."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal
from decimal import InvalidOperation
from enum import StrEnum
from statistics import median

from cobot.domain.vocabulary import Labelled
from cobot.domain.vocabulary import labels


class Activity(Labelled):
    """What a person's time went on."""

    SESSION = "session", "Session"
    REVIEW = "review_draft", "Reviewing the draft"
    BRIEFING = "briefing_call", "Briefing call"
    OVERSIGHT = "oversight_meeting", "Oversight meeting"
    OTHER = "other", "Other"


ACTIVITY_LABELS = labels(Activity)
# what `/cobot log time` offers (sessions come from the attendance register)
LOGGABLE = (Activity.REVIEW, Activity.BRIEFING, Activity.OVERSIGHT, Activity.OTHER)


class PaymentChoice(Labelled):
    """How a person chooses to be paid for their involvement."""

    PAID = "paid", "Paid at the project's rate"
    VOUCHERS = "vouchers", "Vouchers instead of money"
    NONE = "none", "No payment, thank you"


PAYMENT_LABELS = labels(PaymentChoice)
BENEFITS_WORDS = (
    "Payments (and vouchers) for involvement can affect some benefits, such as Universal "
    "Credit or ESA. You can choose no payment, change your mind at any time, and expenses "
    "(travel, carer or childcare cover) are repaid whatever you choose."
)


class ExpenseKind(Labelled):
    """What an expense was for."""

    TRAVEL = "travel", "Travel"
    CARE = "care", "Carer or childcare cover"
    OTHER = "other", "Other"


EXPENSE_LABELS = labels(ExpenseKind)


class ExpenseStatus(StrEnum):
    """Where an expense is: waiting for a coordinator, approved, or asked about."""

    PENDING = "pending"
    APPROVED = "approved"
    QUESTIONED = "questioned"


class ClaimStatus(StrEnum):
    """A claim sent to its person, confirmed by them, or queried."""

    SENT = "sent"
    CONFIRMED = "confirmed"
    QUERIED = "queried"


DEFAULT_CURRENCY = "GBP"
CURRENCY_SIGNS = {"GBP": "£", "EUR": "€", "USD": "$"}
MAX_AMOUNT = 1_000_000  # pence: £10,000, the most one expense or rate may be
MAX_BUDGET = 1_000_000_000  # pence: £10 million
MAX_DAY_MINUTES = 24 * 60
MAX_PREP_MINUTES = 8 * 60
MAX_NOTE = 500
MAX_WHAT_FOR = 300
REGISTER_EDITABLE = timedelta(days=7)
REGISTER_NUDGE_AFTER = timedelta(days=1)
# a checkbox input holds at most 10 options (Slack's limit)
CHECKBOXES_PER_INPUT = 10
# the share of the budget spent may run this far ahead of the share of time elapsed
BUDGET_MARGIN = Decimal("0.10")
# a facilitator carrying this many times the median of the others is flagged
WORKLOAD_FACTOR = Decimal("1.5")
# HMRC: keep payment records 6 years from the end of the tax year they belong to
FINANCE_YEARS = 6


# ---------------------------------------------------------------- money


# an expense's receipts: images or PDFs the person uploads in the form (Slack keeps them)
MAX_RECEIPTS = 3
RECEIPT_FILETYPES = ("pdf", "jpg", "jpeg", "png", "gif", "heic", "webp")
RECEIPT_MIMETYPES = ("application/pdf",)
RECEIPT_MIME_PREFIX = "image/"
MAX_RECEIPT_NAME = 255


@dataclass(frozen=True)
class Receipt:
    """A file the person uploaded to Slack as an expense's receipt (cobot keeps only this
    reference; the file stays in their workspace)."""

    id: str
    name: str
    permalink: str = ""

    def as_json(self) -> dict[str, str]:
        """How it is stored (encrypted) on the expense."""
        return {"id": self.id, "name": self.name, "permalink": self.permalink}


@dataclass(frozen=True)
class UploadedFile:
    """A file as the person's form submission described it (the Slack layer reads Slack's
    file object into this; an empty field is one Slack did not send)."""

    id: str
    name: str
    mimetype: str = ""
    permalink: str = ""


def receipt_accepted(name: str, mimetype: str) -> bool:
    """An image or a PDF, by its extension and its type (Slack's filetypes check in the
    form is a convenience only)."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    mime = mimetype.lower()
    typed_ok = mime.startswith(RECEIPT_MIME_PREFIX) or mime in RECEIPT_MIMETYPES
    return extension in RECEIPT_FILETYPES and typed_ok


def check_receipts(files: Sequence[UploadedFile]) -> tuple[Receipt, ...] | str:
    """The receipts of a submitted file input, or what is wrong with them."""
    if len(files) > MAX_RECEIPTS:
        return f"Attach at most {MAX_RECEIPTS} receipts."
    found: list[Receipt] = []
    for file in files:
        if not file.id or not file.name:
            return "A receipt did not upload; please attach it again."
        if not receipt_accepted(file.name, file.mimetype):
            return "Receipts must be photos (JPG, PNG, HEIC...) or PDFs."
        found.append(Receipt(file.id, file.name[:MAX_RECEIPT_NAME], safe_link(file.permalink)))
    return tuple(found)


def safe_link(link: object) -> str:
    """A Slack permalink fit for a mrkdwn link (anything else: no link)."""
    if not isinstance(link, str) or not link.startswith(("https://", "http://")):
        return ""
    return "" if any(c in link for c in "<>| \n") else link


def parse_money(text: str, *, limit: int = MAX_AMOUNT) -> int | str:
    """Typed money ("12.50", "£12.50", "1,200") as pence up to `limit`, or what is wrong."""
    raw = text.strip().replace(",", "")
    for sign in CURRENCY_SIGNS.values():
        raw = raw.removeprefix(sign)
    raw = raw.strip()
    if not raw:
        return "Enter an amount, like 12.50."
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        return "Enter an amount in numbers, like 12.50."
    if not amount.is_finite():
        return "Enter an amount in numbers, like 12.50."
    if amount < 0:
        return "An amount cannot be negative."
    if amount != amount.quantize(Decimal("0.01")):
        return "Use at most two decimal places (pence)."
    pence = int(amount * 100)
    if pence > limit:
        return f"That is more than {format_money(limit)}: check the amount."
    return pence


def format_money(pence: int, currency: str = DEFAULT_CURRENCY) -> str:
    """Pence as people read money: £1,234.50 (−£3.00 for a negative)."""
    sign = CURRENCY_SIGNS.get(currency, "")
    whole, part = divmod(abs(pence), 100)
    text = f"{sign}{whole:,}.{part:02d}" + ("" if sign else f" {currency}")
    return f"-{text}" if pence < 0 else text


def pay_for(minutes: int, rate_per_hour: int) -> int:
    """Pence for `minutes` at `rate_per_hour` pence, rounded half up to the penny."""
    exact = Decimal(minutes) * Decimal(rate_per_hour) / Decimal(60)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def hours_text(minutes: int) -> str:
    """Minutes as "2 h 30 min"."""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


# ---------------------------------------------------------------- rates


@dataclass(frozen=True)
class Rates:
    """A project's hourly rates: one for everyone by default, or per role or per activity
    (an activity's rate wins over a role's), with the reason a different rate was set."""

    default: int = 0
    by_role: Mapping[str, int] | None = None
    by_activity: Mapping[str, int] | None = None
    reason: str = ""

    def rate(self, role: str, activity: str) -> int:
        """Pence per hour for a person in `role` doing `activity`."""
        if self.by_activity and activity in self.by_activity:
            return self.by_activity[activity]
        if self.by_role and role in self.by_role:
            return self.by_role[role]
        return self.default

    def differ(self) -> bool:
        """Some role or activity is paid differently from the default."""
        others = [*(self.by_role or {}).values(), *(self.by_activity or {}).values()]
        return any(r != self.default for r in others)


def check_rates(rates: Rates) -> dict[str, str]:
    """A different rate needs a reason recorded (equal by default; equity when argued)."""
    if rates.differ() and not rates.reason.strip():
        return {"reason": "Say why some roles or activities are paid differently."}
    return {}


# ---------------------------------------------------------------- time logs


@dataclass(frozen=True)
class TimeLogInput:
    """What `/cobot log time` typed."""

    activity: str
    day: date | None
    hours: str
    minutes: str
    note: str


def _whole(text: str, label: str) -> int | str:
    raw = text.strip() or "0"
    if raw.startswith("-"):
        return f"{label} cannot be negative."
    if not raw.isascii() or not raw.isdigit():
        return f"{label}: enter a whole number."
    return int(raw)


def check_time_log(data: TimeLogInput, *, today: date) -> tuple[int, dict[str, str]]:
    """The minutes logged, or errors by block id (over 24 h, negative, a future date...)."""
    errors: dict[str, str] = {}
    if data.activity not in {a.value for a in LOGGABLE}:
        errors["activity"] = "Choose what the time was for."
    if data.day is None:
        errors["day"] = "Choose the day."
    elif data.day > today:
        errors["day"] = "That day has not happened yet: log time once it is spent."
    hours = _whole(data.hours, "Hours")
    minutes = _whole(data.minutes, "Minutes")
    if isinstance(hours, str):
        errors["hours"] = hours
    if isinstance(minutes, str):
        errors["minutes"] = minutes
    elif minutes >= 60:
        errors["minutes"] = "Minutes go up to 59; put whole hours under hours."
    total = 0
    if isinstance(hours, int) and isinstance(minutes, int) and "minutes" not in errors:
        total = hours * 60 + minutes
        if total > MAX_DAY_MINUTES:
            errors["hours"] = "That is more than 24 hours in one day."
        elif total == 0:
            errors["hours"] = "Enter the time spent."
    if len(data.note) > MAX_NOTE:
        errors["note"] = f"Keep the note under {MAX_NOTE} characters."
    return total, errors


def check_prep(text: str, block: str) -> tuple[int, dict[str, str]]:
    """Preparation minutes per role: a whole number, 0 to 8 hours."""
    found = _whole(text, "Preparation minutes")
    if isinstance(found, str):
        return 0, {block: found}
    if found > MAX_PREP_MINUTES:
        return 0, {block: "Preparation time goes up to 480 minutes (8 hours)."}
    return found, {}


# ---------------------------------------------------------------- periods


def month_bounds(day: date) -> tuple[date, date]:
    """The first and last day of `day`'s calendar month."""
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def last_closed_month(today: date) -> tuple[date, date]:
    """The calendar month before `today`'s."""
    return month_bounds(today.replace(day=1) - timedelta(days=1))


def finance_keep_until(paid: date) -> date:
    """When a payment record may go: 6 years after the end of the UK tax year (which ends
    on 5 April) that `paid` falls in."""
    year_end = date(paid.year, 4, 5)
    if paid > year_end:
        year_end = date(paid.year + 1, 4, 5)
    return year_end.replace(year=year_end.year + FINANCE_YEARS)


# ---------------------------------------------------------------- the budget's pace


@dataclass(frozen=True)
class BudgetPace:
    """Spending against the budget and the project's timeline."""

    budget: int
    spent: int
    spent_share: Decimal
    time_share: Decimal
    ahead: bool


def budget_pace(
    *, budget: int, spent: int, start: date | None, end: date | None, today: date
) -> BudgetPace:
    """Whether spending runs ahead of the timeline: the share of the budget spent is more
    than the share of the project's time elapsed plus a margin (10 points)."""
    spent_share = Decimal(spent) / Decimal(budget) if budget > 0 else Decimal(0)
    if start is not None and end is not None and end > start:
        elapsed = min(max((today - start).days, 0), (end - start).days)
        time_share = Decimal(elapsed) / Decimal((end - start).days)
    else:
        time_share = Decimal(1)
    ahead = budget > 0 and (spent_share > time_share + BUDGET_MARGIN or spent > budget)
    return BudgetPace(budget, spent, spent_share, time_share, ahead)


def percent(share: Decimal) -> str:
    """A share as a whole percentage."""
    return f"{int((share * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))}%"


# ---------------------------------------------------------------- fair workload


def overloaded(minutes_by_person: Mapping[str, int]) -> list[str]:
    """Who carries much more than the others: over 1.5 times the median of the rest (with at
    least two people to compare)."""
    if len(minutes_by_person) < 2:
        return []
    found: list[str] = []
    for person, minutes in minutes_by_person.items():
        others = [m for p, m in minutes_by_person.items() if p != person]
        middle = Decimal(str(median(others)))
        if minutes > 0 and Decimal(minutes) > middle * WORKLOAD_FACTOR:
            found.append(person)
    return found


def chunks(items: Sequence[str], size: int = CHECKBOXES_PER_INPUT) -> list[list[str]]:
    """`items` in groups of at most `size` (a checkbox input's limit)."""
    return [list(items[i : i + size]) for i in range(0, len(items), size)]
