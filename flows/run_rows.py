"""The rows of a command-line run (``flows.batch_run``): one per file named, each told to
the caller once, as soon as its file has ended."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from flows.intake import IntakeResult
from flows.results import load_outcome
from models.document import DocumentStatus
from models.outcome import FileOutcome

OutcomeCallback = Callable[[FileOutcome], None]

# The reason of a document that was never started because the run stopped first.
NOT_STARTED_REASON = "the run was stopped before this document was started; it is queued"


class RunRows:
    """The run's rows, each told to ``on_outcome`` once, when its file has ended: rows with
    no document to run at once, the others as their documents reach a final status."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        intakes: list[IntakeResult | FileOutcome],
        skipped: list[FileOutcome],
        to_run: list[str],
        on_outcome: OutcomeCallback | None,
    ) -> None:
        self.sessions, self.intakes, self.skipped = sessions, intakes, skipped
        self.to_run = set(to_run)
        self.on_outcome = on_outcome
        self.told: set[int] = set()

    def _waits(self, item: IntakeResult | FileOutcome) -> bool:
        return isinstance(item, IntakeResult) and item.document_id in self.to_run

    def emit(self, *, final: set[str] | None, stopped: bool = False) -> None:
        """Tell the rows that have ended: entries not read, files with no document to run,
        those whose document is in ``final``, or (``final`` None: the run is over) all left."""
        if self.on_outcome is None:
            return
        for index, item in enumerate([*self.intakes, *self.skipped]):
            if index in self.told:
                continue
            waiting = self._waits(item)
            if final is None or not waiting or (isinstance(item, IntakeResult) and item.document_id in final):
                self.told.add(index)
                self.on_outcome(self.row(item, stopped=stopped))

    def all(self, *, stopped: bool) -> list[FileOutcome]:
        """Every row, in the order the files were named."""
        return [self.row(item, stopped=stopped) for item in self.intakes] + self.skipped

    def row(self, item: IntakeResult | FileOutcome, *, stopped: bool) -> FileOutcome:
        """The row of one file as it stands now."""
        return describe(self.sessions, item, stopped=stopped, ran=self._waits(item))


def describe(
    sessions: sessionmaker[Session],
    item: IntakeResult | FileOutcome,
    *,
    stopped: bool = False,
    ran: bool = False,
) -> FileOutcome:
    """The row of one file; ``ran``: its document was processed by this run (not a duplicate
    answered from the database, even if its bytes were seen before)."""
    if isinstance(item, FileOutcome):
        return item
    with sessions() as session:
        document = load_outcome(session, item.document_id)
    not_started = stopped and document.status is DocumentStatus.QUEUED and not document.reason
    return FileOutcome.of_document(
        item.file,
        document,
        duplicate=not item.created and not ran,
        reason=NOT_STARTED_REASON if not_started else None,
    )
