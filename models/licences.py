"""Model licence terms as data, and the check of a model against the deployment's licensee.

The terms come from the catalog (``models/data/catalog.toml``). The deployment declares its
licensee facts once (``FOLIO_LICENSEE_COUNTRY``, ``FOLIO_LICENSEE_MONTHLY_ACTIVE_USERS``,
``FOLIO_META_LICENCE_REFERENCE``); :func:`check_licence` says whether a model may be used.

Decisions taken here, as a legal team would expect them:

- The EU restriction of the Llama 4 Acceptable Use Policy concerns the *licensee* (the
  company running Folio), not the end users of its product. The check is on the declared
  country of the principal place of business; document contents and tenants' locations
  play no part.
- An undeclared licensee country fails closed for a model with a country restriction: the
  model is refused, and the reason asks for ``FOLIO_LICENSEE_COUNTRY``. Using a model whose
  licence may not be granted is a risk no default should take.
- Undeclared monthly active users are taken as below the threshold (700 million is far
  beyond almost every licensee), and the decision notes that they were not declared.
- Above the threshold, the model is allowed only with ``FOLIO_META_LICENCE_REFERENCE`` (the
  separate licence from Meta); the reference is recorded on every document.
- A licence whose terms require attribution ("Built with Llama") always records it.
- A model the catalog does not list (any OpenAI-compatible server may serve anything) has
  an unknown licence. By default it is allowed, because the operator chose it by name
  (``FOLIO_LLM_MODEL``), and every document records the warning "licence unknown", which
  ``folio report licences`` shows; ``FOLIO_UNKNOWN_MODEL_LICENCE=block`` refuses such
  models instead, for deployments whose legal team clears every model first.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

UNKNOWN_LICENCE_ID = "unknown"

# ISO 3166-1 alpha-2 is the standard; the EU itself writes Greece as EL and people write UK.
_COUNTRY_ALIASES = {"EL": "GR", "UK": "GB"}


class LicenceTerms(BaseModel):
    """What a model licence asks of the licensee."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    effective: str | None = Field(None, description="Date the terms took effect, ISO 8601.")
    url: str | None = None
    mau_threshold: int | None = Field(
        None, description="Above this many monthly active users a separate licence is needed."
    )
    multimodal_excluded_countries: frozenset[str] = Field(
        frozenset(), description="Licensee countries denied the multimodal models (ISO alpha-2)."
    )
    multimodal_excluded_region: str | None = Field(
        None, description="Those countries' common name, for reasons (e.g. the European Union)."
    )
    attribution: str | None = Field(None, description="Text the product must display, if any.")


def unknown_licence() -> LicenceTerms:
    """The terms of a model the catalog does not list: nothing is known about them."""
    return LicenceTerms(id=UNKNOWN_LICENCE_ID, name="unknown licence (model not in the catalog)")


class LicenseeFacts(BaseModel):
    """What the deployment declares about its licensee (from settings)."""

    model_config = ConfigDict(frozen=True)

    country: str | None = Field(None, description="Principal place of business, ISO alpha-2.")
    monthly_active_users: int | None = Field(None, ge=0)
    meta_licence_reference: str | None = None
    unknown_model_licence: Literal["block", "allow"] = "allow"


class LicenceCheck(BaseModel):
    """Whether a model's licence lets this licensee use it, and why."""

    model_config = ConfigDict(frozen=True)

    allowed: bool
    licence_id: str
    code: str | None = Field(None, description="Why not, as a stable code.")
    reason: str | None = Field(None, description="Why not, in words; None when allowed.")
    notes: tuple[str, ...] = Field((), description="What an auditor should know when allowed.")
    attribution: str | None = None
    licence_reference: str | None = Field(None, description="Separate licence relied upon.")


def normalise_country(code: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code in upper case (EL -> GR, UK -> GB); None stays None."""
    if code is None or not code.strip():
        return None
    upper = code.strip().upper()
    return _COUNTRY_ALIASES.get(upper, upper)


def check_licence(terms: LicenceTerms, *, model: str, multimodal: bool, facts: LicenseeFacts) -> LicenceCheck:
    """Check ``model`` (under ``terms``) against the licensee ``facts``."""
    notes: list[str] = []

    def refuse(code: str, reason: str) -> LicenceCheck:
        return LicenceCheck(allowed=False, licence_id=terms.id, code=code, reason=reason)

    if terms.id == UNKNOWN_LICENCE_ID:
        if facts.unknown_model_licence != "allow":
            return refuse(
                "licence_unknown",
                f"model {model} is not in the model catalog, so its licence is unknown; "
                "add it to the catalog (FOLIO_CATALOG_FILE) or set "
                "FOLIO_UNKNOWN_MODEL_LICENCE=allow to accept unknown licences",
            )
        notes.append(
            f"warning: licence unknown, {model} is not in the model catalog; allowed by "
            "FOLIO_UNKNOWN_MODEL_LICENCE=allow (the default)"
        )

    if multimodal and terms.multimodal_excluded_countries:
        region = terms.multimodal_excluded_region or "some countries"
        country = normalise_country(facts.country)
        if country is None:
            return refuse(
                "licensee_country_unset",
                f"{terms.name} withholds the multimodal models from licensees whose principal "
                f"place of business is in {region}; set FOLIO_LICENSEE_COUNTRY (ISO 3166-1 "
                f"alpha-2 code of the licensee's principal place of business) to use {model}",
            )
        if country in terms.multimodal_excluded_countries:
            return refuse(
                "licence_region",
                f"{terms.name} (Acceptable Use Policy) does not grant the rights to the "
                f"multimodal model {model} to a licensee whose principal place of business is "
                f"in {region} (FOLIO_LICENSEE_COUNTRY={country})",
            )

    reference: str | None = None
    if terms.mau_threshold is not None:
        mau = facts.monthly_active_users
        if mau is None:
            notes.append(
                "licensee monthly active users not declared "
                f"(FOLIO_LICENSEE_MONTHLY_ACTIVE_USERS); taken as at most {terms.mau_threshold:,}"
            )
        elif mau > terms.mau_threshold:
            reference = (facts.meta_licence_reference or "").strip() or None
            if reference is None:
                return refuse(
                    "licence_mau",
                    f"{terms.name}: the licensee declares {mau:,} monthly active users, above "
                    f"{terms.mau_threshold:,}; a separate licence from Meta is needed (set "
                    "FOLIO_META_LICENCE_REFERENCE to its reference once granted)",
                )
            notes.append(
                f"licensee above {terms.mau_threshold:,} monthly active users; separate Meta "
                f"licence {reference}"
            )
    if terms.attribution:
        notes.append(f'licence requires attribution: "{terms.attribution}"')
    return LicenceCheck(
        allowed=True,
        licence_id=terms.id,
        notes=tuple(notes),
        attribution=terms.attribution,
        licence_reference=reference,
    )
