"""The review page end to end in headless Chromium against ``folio serve``, on SQLite and PostgreSQL:
sign in with a tenant's key, open the document the pipeline sent to review (a digital invoice
with a misprinted total, read by the real local engine: every field with its box), see one
box drawn per field and cell of the page, correct the total at the keyboard, approve; the
database then holds a human version by that key and the document is done. (Timings:
``python -m bench.review_page``.)"""

from __future__ import annotations

from pathlib import Path

from core.settings import Settings
from models.document import DocumentStatus
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from tests.api.conftest import Keys
from tests.support.browser import Chromium, require_chromium
from tests.support.review import misprinted_total
from tests.support.review_browser import review_one_field
from tests.support.served import folio_serve


def test_a_reviewer_corrects_and_approves_at_the_keyboard(
    api_db_settings: Settings, keys: Keys, tmp_path: Path
) -> None:
    require_chromium()
    doc = misprinted_total(api_db_settings, seed=71, tenant="alpha")
    right = str(doc.right["total_amount"])
    with folio_serve(api_db_settings) as url, Chromium.launch(tmp_path / "profile") as browser:
        run = review_one_field(browser, url, keys.alpha, "total_amount", right)
    assert run.document_id == doc.document_id
    assert run.boxes_expected >= 10 and run.boxes_drawn == run.boxes_expected
    assert run.boxes_inside_image == run.boxes_drawn
    assert min(run.image_size) > 300
    db = make_engine(api_db_settings)
    try:
        with make_session_factory(db)() as session:
            document = repo.get_document(session, doc.document_id)
            versions = repo.extraction_history(session, doc.document_id)
            corrections = repo.corrections_for(session, document_id=doc.document_id)
            assert document is not None
            assert document.status is DocumentStatus.DONE and document.reviewed_by == keys.alpha[:12]
            current = next(v for v in versions if v.is_current)
            assert (current.source, current.author) == ("human", keys.alpha[:12])
            assert [v.source for v in versions].count("engine") == 1
            assert float(current.result["fields"]["total_amount"]["value"]) == float(right)
            assert [(c.field, c.author) for c in corrections] == [("total_amount", keys.alpha[:12])]
    finally:
        db.dispose()
