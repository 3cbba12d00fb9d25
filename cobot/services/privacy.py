"""Export, erasure and retention, all derived from one registry of personal data.

Every feature declares (next to its models) each table and column holding personal data,
whose it is, who sees it and how long it is kept (cobot.domain.privacy). `my data`,
`forget me`, the daily retention purge and `cobot privacy` read only that registry, so the
four can never disagree; a test fails when a model gains a personal column nobody declared.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import FromClause
from sqlalchemy import MetaData
from sqlalchemy import Table
from sqlalchemy import and_
from sqlalchemy import delete
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from cobot.domain import checkins as checkin_rules
from cobot.domain.privacy import Declaration
from cobot.domain.privacy import Erasure
from cobot.domain.privacy import NamedIn
from cobot.domain.privacy import Path
from cobot.domain.privacy import Published
from cobot.domain.privacy import Registry
from cobot.domain.privacy import Retention
from cobot.domain.privacy import retention_text
from cobot.services import deliveries
from cobot.services.base import Service
from cobot.services.ports import Clock
from cobot.storage.db import transaction
from cobot.storage.models import Base
from cobot.storage.models import CheckinSetup
from cobot.storage.models import Project
from cobot.storage.models import Workspace

ALWAYS_REMAINS = (
    "Word clouds, boat lists, totals and collated summaries already shared stay, as they "
    "cannot be traced to you.",
    "Messages cobot already sent you stay in your Slack DMs; you can delete them there.",
    "Files you uploaded in Slack, such as an expense's receipt, stay in your Slack workspace "
    "(cobot only kept their names and links, never a copy); you can delete them there.",
)


@dataclass(frozen=True)
class DataFile:
    """One file of a person's export."""

    filename: str
    title: str
    content: str


@dataclass(frozen=True)
class PersonalData:
    """A person's own data: the JSON document and the same as readable Markdown."""

    json: DataFile
    markdown: DataFile
    rows: int


@dataclass(frozen=True)
class Erased:
    """What erasure removed from one declared table."""

    feature: str
    what: str
    rows: int


@dataclass(frozen=True)
class Forgotten:
    """What `forget me` erased, what it cancelled, and what remains and why."""

    erased: tuple[Erased, ...]
    cancelled: int
    remains: tuple[str, ...]
    # rows kept as published (a closed ending's or review's words) but no longer theirs
    unlinked: int = 0

    @property
    def rows(self) -> int:
        """Rows erased in all."""
        return sum(e.rows for e in self.erased)


@dataclass(frozen=True)
class Purged:
    """What the retention purge deleted."""

    projects: int
    rows: int


def build_registry(metadata: MetaData | None = None) -> Registry:
    """The registry of every feature's declarations, checked against the models."""
    from cobot.storage.models import checkins
    from cobot.storage.models import core
    from cobot.storage.models import debriefs
    from cobot.storage.models import endings
    from cobot.storage.models import feeds
    from cobot.storage.models import governance
    from cobot.storage.models import installations
    from cobot.storage.models import involvement
    from cobot.storage.models import polls
    from cobot.storage.models import reviews

    modules = (
        core,
        checkins,
        debriefs,
        endings,
        reviews,
        installations,
        feeds,
        governance,
        polls,
        involvement,
    )
    registry = Registry(
        declarations=tuple(d for m in modules for d in m.PRIVACY),
        not_personal={k: v for m in modules for k, v in m.NOT_PERSONAL.items()},
        always_remains=ALWAYS_REMAINS,
        named_in=checkins.NAMED_IN,
    )
    check_registry(registry, metadata or Base.metadata)
    return registry


def check_registry(registry: Registry, metadata: MetaData) -> None:
    """Raise ValueError when a declaration names a table, column or join the models lack."""
    seen: set[str] = set()
    for decl in registry.declarations:
        if decl.table in seen:
            raise ValueError(f"{decl.table} is declared twice")
        seen.add(decl.table)
        table = _table(metadata, decl.table)
        for column in (*decl.columns(), *decl.context):
            if column not in table.c:
                raise ValueError(f"{decl.table}.{column} is declared but does not exist")
        paths = [decl.person, decl.project]
        paths += [p for p in (decl.recipient, decl.session) if p is not None]
        for path in paths:
            _resolve(metadata, table, table, path)
        if decl.erasure is Erasure.DELETE and "id" not in table.c:
            raise ValueError(f"{decl.table} is erased row by row but has no id")
        if decl.published is not None:
            _check_published(metadata, table, decl.published)
        if decl.kept_until and decl.kept_until not in table.c:
            raise ValueError(f"{decl.table}.{decl.kept_until} is declared but does not exist")
        if decl.erasure is Erasure.KEEP and not decl.kept_because:
            raise ValueError(f"{decl.table} is kept on erasure without saying why")
    for name in registry.not_personal:
        table_name, _, column = name.partition(".")
        if column not in _table(metadata, table_name).c:
            raise ValueError(f"{name} is listed as not personal but does not exist")
    for named in registry.named_in:
        table = _table(metadata, named.table)
        if named.column not in table.c:
            raise ValueError(f"{named.table}.{named.column} does not exist")
        _resolve(metadata, table, table, named.project)


def _check_published(metadata: MetaData, table: Table, published: Published) -> None:
    marker = _table(metadata, published.table)
    needed = [(marker, published.column)]
    needed += [(table, c) for c in (*published.blank, *published.off)]
    if published.link is not None:
        needed += [(table, published.link.column), (marker, published.link.key)]
    for where, column in needed:
        if column not in where.c:
            raise ValueError(f"{where.name}.{column} is declared but does not exist")


def retention_days(db: Session, project_id: int) -> int:
    """The project's retention setting: days its answers are kept after it closes."""
    days = db.scalar(
        select(CheckinSetup.retention_days).where(CheckinSetup.project_id == project_id)
    )
    return int(days or checkin_rules.DEFAULT_RETENTION_DAYS)


class Privacy(Service):
    """A person's export and erasure, and the retention purge, for every feature."""

    def __init__(
        self,
        *,
        factory: sessionmaker[Session],
        clock: Clock,
        registry: Registry | None = None,
        metadata: MetaData | None = None,
    ) -> None:
        super().__init__(factory=factory, clock=clock)
        self._metadata = metadata or Base.metadata
        self.registry = registry or build_registry(self._metadata)

    def my_data(self, *, team_id: str, user_id: str) -> PersonalData:
        """Everything of the person's in this workspace, and what others wrote for them
        that was theirs to see; never anyone else's personal data."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            projects = _team_projects(db, team_id)
            sections: list[dict[str, Any]] = []
            count = 0
            for decl in self.registry.declarations:
                own = self._rows(db, decl, decl.person, user_id, projects)
                if own:
                    sections.append(_section(decl, decl.what, own))
                    count += len(own)
                if decl.recipient is not None and decl.recipient_sees:
                    received = self._rows(db, decl, decl.recipient, user_id, projects)
                    if received:
                        sections.append(_section(decl, decl.recipient_label, received))
                        count += len(received)
        document = {
            "exported_at": now.isoformat(),
            "user_id": user_id,
            "about": (
                "Everything cobot stores about you in this workspace, and what colleagues "
                "wrote for you that was yours to see. `cobot privacy` describes each part."
            ),
            "sections": sections,
        }
        stem = f"cobot-my-data-{now:%Y-%m-%d}"
        return PersonalData(
            json=DataFile(
                filename=f"{stem}.json",
                title="Your cobot data (JSON)",
                content=json.dumps(document, indent=2, ensure_ascii=False),
            ),
            markdown=DataFile(
                filename=f"{stem}.md",
                title="Your cobot data (readable)",
                content=export_markdown(document),
            ),
            rows=count,
        )

    def forget(self, *, team_id: str, user_id: str) -> Forgotten:
        """Erase everything the person wrote or chose in this workspace (and what was written
        only for them), cancel every message still owed to them, and say what remains."""
        now = self._clock.now()
        with transaction(self._factory) as db:
            projects = _team_projects(db, team_id)
            doomed: dict[str, list[int]] = {}
            remains: list[str] = []
            for decl in self.registry.declarations:
                if decl.erasure is Erasure.DELETE:
                    doomed[decl.table] = self._ids(db, decl, decl.person, user_id, projects)
                if decl.recipient is None:
                    continue
                received = self._ids(db, decl, decl.recipient, user_id, projects)
                if decl.erased_for_recipient:
                    doomed[decl.table] = sorted({*doomed.get(decl.table, []), *received})
                elif set(received) - set(doomed.get(decl.table, [])):
                    remains.append(_capitalised(decl.recipient_kept_because))
            remains += [
                _capitalised(named.because)
                for named in self.registry.named_in
                if self._named(db, named, user_id, projects)
            ]
            # cancelled first, so the count includes check-ins whose ledger rows then go
            cancelled = deliveries.cancel_target(
                db, target=user_id, project_ids=list(projects), now=now
            )
            unlinked_rows = 0
            for decl in self.registry.declarations:
                if decl.published is not None and doomed.get(decl.table):
                    unlinked = self._unlink_published(db, decl, decl.published, doomed[decl.table])
                    unlinked_rows += len(unlinked)
                    doomed[decl.table] = [i for i in doomed[decl.table] if i not in unlinked]
                    if unlinked and decl.published.because:
                        remains.append(_capitalised(decl.published.because))
            erased = self._delete(db, doomed)
            # what is kept, looked at after erasure (erasing may have taken the last row)
            remains[:0] = [
                _capitalised(decl.kept_because)
                for decl in self.registry.declarations
                if decl.erasure is Erasure.KEEP
                and self._exists(db, decl, decl.person, user_id, projects)
            ]
            return Forgotten(
                erased=tuple(erased),
                cancelled=len(cancelled),
                remains=(*remains, *self.registry.always_remains),
                unlinked=unlinked_rows,
            )

    def purge_expired(self, now: datetime) -> Purged:
        """Delete every feature's answers in projects closed longer than their retention
        setting (one rule for all features). A project whose workspace uninstalled cobot
        counts as closed from then (whichever came first)."""
        with transaction(self._factory) as db:
            closed = db.execute(
                select(
                    Project.id,
                    Project.closed_at,
                    Workspace.uninstalled_at,
                    CheckinSetup.retention_days,
                )
                .outerjoin(CheckinSetup, CheckinSetup.project_id == Project.id)
                .outerjoin(Workspace, Workspace.team_id == Project.team_id)
                .where(or_(Project.closed_at.is_not(None), Workspace.uninstalled_at.is_not(None)))
            ).all()
            expired = {
                int(pid)
                for pid, closed_at, gone_at, days in closed
                if min(t for t in (closed_at, gone_at) if t is not None)
                + timedelta(days=days or checkin_rules.DEFAULT_RETENTION_DAYS)
                <= now
            }
            doomed: dict[str, list[int]] = {}
            touched: set[int] = set()
            for decl in self.registry.declarations:
                if decl.retention not in (Retention.PROJECT, Retention.FINANCE):
                    continue
                table = _table(self._metadata, decl.table)
                from_, project = _resolve(self._metadata, table, table, decl.project)
                due: ColumnElement[bool] = project.in_(sorted(expired))
                if decl.retention is Retention.FINANCE and decl.kept_until:
                    # payment records stay for finance's period, whatever the project's setting
                    until = table.c[decl.kept_until]
                    due = or_(until <= now.date(), and_(until.is_(None), due))
                rows = db.execute(select(table.c.id, project).select_from(from_).where(due)).all()
                doomed[decl.table] = [int(r[0]) for r in rows]
                touched.update(int(r[1]) for r in rows)
            erased = self._delete(db, doomed)
            return Purged(projects=len(touched), rows=sum(e.rows for e in erased))

    # ------------------------------------------------------------ the generic queries

    def _where_person(
        self, decl: Declaration, path: Path, user_id: str, projects: dict[int, str]
    ) -> tuple[Table, FromClause, list[ColumnElement[bool]], ColumnElement[Any]]:
        table = _table(self._metadata, decl.table)
        from_, person = _resolve(self._metadata, table, table, path)
        from_, project = _resolve(self._metadata, table, from_, decl.project)
        return table, from_, [person == user_id, project.in_(list(projects))], project

    def _ids(
        self, db: Session, decl: Declaration, path: Path, user_id: str, projects: dict[int, str]
    ) -> list[int]:
        if not projects:
            return []
        table, from_, where, _project = self._where_person(decl, path, user_id, projects)
        return [int(i) for i in db.scalars(select(table.c.id).select_from(from_).where(*where))]

    def _exists(
        self, db: Session, decl: Declaration, path: Path, user_id: str, projects: dict[int, str]
    ) -> bool:
        if not projects:
            return False
        _table_, from_, where, _project = self._where_person(decl, path, user_id, projects)
        return db.scalar(select(1).select_from(from_).where(*where).limit(1)) is not None

    def _named(self, db: Session, named: NamedIn, user_id: str, projects: dict[int, str]) -> bool:
        if not projects:
            return False
        table = _table(self._metadata, named.table)
        from_, project = _resolve(self._metadata, table, table, named.project)
        lists = db.scalars(
            select(table.c[named.column]).select_from(from_).where(project.in_(list(projects)))
        )
        return any(user_id in (found or []) for found in lists)

    def _rows(
        self, db: Session, decl: Declaration, path: Path, user_id: str, projects: dict[int, str]
    ) -> list[dict[str, Any]]:
        if not projects:
            return []
        table, from_, where, project = self._where_person(decl, path, user_id, projects)
        picked = [table.c[c] for c in (*decl.context, *decl.columns())]
        title: ColumnElement[Any] | None = None
        if decl.session is not None:
            sessions = _table(self._metadata, "project_sessions").alias()
            from_, session_id = _resolve(self._metadata, table, from_, decl.session)
            from_ = from_.join(sessions, sessions.c.id == session_id)
            title = sessions.c.title
        columns: list[Any] = [project.label("_project"), *picked]
        if title is not None:
            columns.append(title.label("_session"))
        order = [table.c.id] if "id" in table.c else list(table.primary_key.columns)
        found = db.execute(select(*columns).select_from(from_).where(*where).order_by(*order))
        rows = []
        for row in found.mappings():
            item: dict[str, Any] = {"project": projects[int(row["_project"])]}
            if title is not None:
                item["session"] = row["_session"]
            for name in decl.context:
                item[name] = _plain(row[name])
            for f in decl.fields:
                value = row[f.column]
                item[f.column] = _parsed(value) if f.json else _plain(value)
            rows.append(item)
        return rows

    def _unlink_published(
        self, db: Session, decl: Declaration, published: Published, ids: list[int]
    ) -> set[int]:
        """Of `ids`, the rows whose project's figure is published: each gets a random
        stand-in for the person's id (nothing maps it back) and its `blank` columns emptied."""
        if decl.person.via:
            raise ValueError(f"{decl.table}: a published row must name its person directly")
        table = _table(self._metadata, decl.table)
        marker = _table(self._metadata, published.table)
        from_, project = _resolve(self._metadata, table, table, decl.project)
        link = published.link
        joined = (
            from_.join(marker, marker.c.project_id == project)
            if link is None
            else from_.join(marker, marker.c[link.key] == table.c[link.column])
        )
        rows = db.scalars(
            select(table.c.id)
            .select_from(joined)
            .where(table.c.id.in_(ids), marker.c[published.column].is_not(None))
        ).all()
        for row_id in rows:
            values: dict[str, Any] = {decl.person.column: f"forgotten-{secrets.token_hex(8)}"}
            values.update(dict.fromkeys(published.blank, ""))
            values.update(dict.fromkeys(published.off, False))
            db.execute(update(table).where(table.c.id == row_id).values(**values))
        return {int(i) for i in rows}

    def _delete(self, db: Session, doomed: dict[str, list[int]]) -> list[Erased]:
        """Delete rows children first (the models' foreign keys decide the order), and the
        ledger rows about them."""
        order = [t.name for t in reversed(self._metadata.sorted_tables)]
        for name in sorted(doomed, key=order.index):
            table = _table(self._metadata, name)
            subject = next(d.ledger_subject for d in self.registry.declarations if d.table == name)
            for chunk in _chunks(doomed[name]):
                db.execute(delete(table).where(table.c.id.in_(chunk)))
                if subject:
                    deliveries.erase_subjects(db, subject_type=subject, subject_ids=chunk)
        return [
            Erased(feature=d.feature, what=d.what, rows=len(doomed[d.table]))
            for d in self.registry.declarations
            if doomed.get(d.table)
        ]


# ---------------------------------------------------------------- the report and files


def privacy_report(registry: Registry) -> str:
    """What cobot stores, who sees it, how long it is kept and how to export or erase it,
    from the registry: the basis of a data protection impact assessment (Markdown)."""
    lines = [
        "# What cobot stores about people",
        "",
        "Generated from cobot's privacy registry: every feature declares each table and "
        "column holding personal data, and `/cobot my data`, `/cobot forget me` and the daily "
        'retention purge are all derived from the same declarations. "You" below is the '
        "person the data is about, as each person reads it in their own export.",
        "",
        "- **Export:** `/cobot my data` sends the person a JSON file and a readable Markdown "
        "file in their DM with everything below that is theirs, and what colleagues wrote "
        "for them that was theirs to see.",
        "- **Erasure:** `/cobot forget me` (it asks first) deletes everything below marked "
        "*erased*, cancels every message still owed to the person, and tells them what "
        "remains and why.",
        "- **Retention:** one rule for every feature: answers are kept while the project runs "
        "and deleted by the daily maintenance once the project has been closed for its "
        "retention period (90 days unless a coordinator sets another in "
        "`/cobot checkin setup`).",
        "- **Encryption:** every free-text and wellbeing column is encrypted at rest "
        "(Fernet, keys in COBOT_ENCRYPTION_KEYS, `cobot keys rotate`).",
        "- **Never:** personal answers are never written to logs, job arguments or another "
        "person's view; aggregates are shown only for groups of at least 3 people.",
    ]
    for feature in registry.features():
        lines += ["", f"## {feature}"]
        for decl in registry.of(feature):
            lines += [
                "",
                f"### {decl.what} (`{decl.table}`)",
                "",
                f"- **Whose:** {_whose(decl)}",
                f"- **Who can see it:** {decl.seen_by}",
                f"- **Kept:** {retention_text(decl.retention)}",
                f"- **On `forget me`:** {_on_erasure(decl)}",
                "- **Columns:**",
            ]
            lines += [f"  - `{f.column}`: {f.label} ({f.category.value})" for f in decl.fields]
    lines += [
        "",
        "## Free text and settings that are not one person's personal data",
        "",
        "Shared project material, coordinators' settings and technical fields; listed so "
        "that every free-text column in the database is accounted for.",
        "",
    ]
    lines += [f"- `{name}`: {why}" for name, why in sorted(registry.not_personal.items())]
    if registry.named_in:
        lines += ["", "## Roles people are named in", ""]
        lines += [
            f"- `{n.table}.{n.column}` ({n.feature}): on `forget me`, {n.because}"
            for n in registry.named_in
        ]
    lines += ["", "## What stays after erasure", ""]
    lines += [f"- {text}" for text in registry.always_remains]
    return "\n".join(lines) + "\n"


def export_markdown(document: dict[str, Any]) -> str:
    """The export as a readable Markdown file."""
    lines = [
        "# Your cobot data",
        "",
        f"Exported {document['exported_at']} for Slack user {document['user_id']}. "
        f"{document['about']}",
    ]
    feature = None
    sections: Sequence[dict[str, Any]] = document["sections"]
    if not sections:
        lines += ["", "cobot stores nothing about you in this workspace."]
    for section in sections:
        if section["feature"] != feature:
            feature = section["feature"]
            lines += ["", f"## {feature}"]
        lines += [
            "",
            f"### {section['what']}",
            "",
            f"Who can see it: {section['seen_by']}. Kept {section['kept']}.",
            "",
        ]
        labels: dict[str, str] = section["labels"]
        for row in section["rows"]:
            heading = row["project"] + (f", {row['session']}" if row.get("session") else "")
            lines.append(f"- **{heading}**")
            for key, value in row.items():
                if key in ("project", "session") or value in (None, "", []):
                    continue
                label = labels.get(key, key.replace("_", " "))
                if isinstance(value, dict):
                    lines.append(f"  - {label}:")
                    lines += [
                        f"    - {k.replace('_', ' ')}: {_md(v, indent=6)}"
                        for k, v in value.items()
                        if v not in (None, "")
                    ]
                else:
                    lines.append(f"  - {label}: {_md(value)}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- helpers


def _section(decl: Declaration, what: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "feature": decl.feature,
        "table": decl.table,
        "what": what,
        "seen_by": decl.seen_by,
        "kept": retention_text(decl.retention),
        "labels": {f.column: f.label for f in decl.fields},
        "rows": rows,
    }


def _whose(decl: Declaration) -> str:
    person = _path_text(decl.person)
    if decl.recipient is None:
        return f"the person in {person}"
    return f"its author ({person}), written for {_path_text(decl.recipient)}"


def _on_erasure(decl: Declaration) -> str:
    mine = "erased" if decl.erasure is Erasure.DELETE else f"kept: {decl.kept_because}"
    if decl.published is not None and decl.published.because:
        mine += f" before it is published; afterwards kept: {decl.published.because}"
    if decl.recipient is None:
        return mine
    theirs = "erased too" if decl.erased_for_recipient else f"kept: {decl.recipient_kept_because}"
    return f"the author's: {mine}; the recipient's: {theirs}"


def _path_text(path: Path) -> str:
    hops = " → ".join(f"{link.column} → {link.table}" for link in path.via)
    return f"`{hops + ' → ' if hops else ''}{path.column}`"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _team_projects(db: Session, team_id: str) -> dict[int, str]:
    rows = db.execute(select(Project.id, Project.name).where(Project.team_id == team_id))
    return {int(pid): str(name) for pid, name in rows}


def _table(metadata: MetaData, name: str) -> Table:
    try:
        return metadata.tables[name]
    except KeyError:
        raise ValueError(f"table {name} is declared but does not exist") from None


def _resolve(
    metadata: MetaData, table: Table, from_: FromClause, path: Path
) -> tuple[FromClause, ColumnElement[Any]]:
    """Join `path`'s steps onto `from_` (fresh aliases, so paths never collide)."""
    current: FromClause = table
    for link in path.via:
        if link.column not in current.c:
            raise ValueError(f"{link.column} is not a column on the way to {link.table}")
        target = _table(metadata, link.table).alias()
        from_ = from_.join(target, current.c[link.column] == target.c[link.key])
        current = target
    if path.column not in current.c:
        raise ValueError(f"{path.column} does not exist where the path ends")
    return from_, current.c[path.column]


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _parsed(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _md(value: Any, *, indent: int = 4) -> str:
    if isinstance(value, list):
        return ", ".join(_md(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    # keep multi-line text inside its bullet
    return str(value).replace("\n", "\n" + " " * indent)
