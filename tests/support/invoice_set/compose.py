"""Drawing invented parties, numbers, dates and lines from the word lists with a seeded RNG."""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections.abc import Callable
from decimal import Decimal

from tests.support.invoice_set import vocab
from tests.support.invoice_set.facts import Line, Party

MAILBOXES = dict(
    en=("invoices", "billing", "accounts", "info"),
    de=("buchhaltung", "rechnung", "info", "kontakt"),
    fr=("facturation", "compta", "contact"),
    nl=("administratie", "facturen", "info"),
    es=("facturacion", "administracion", "info"),
    it=("amministrazione", "fatture", "info"),
)


def ascii_mail(text: str) -> str:
    """``text`` without accents, as it would appear in an e-mail address or domain."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


class Names:
    """Invented names for one split: companies, people, streets, never repeated within the split."""

    def __init__(self, split: str) -> None:
        self.split = split
        self._used: set[str] = set()

    def _fresh(self, make: Callable[[], str]) -> str:
        for _ in range(50):
            name = make()
            if name not in self._used:
                self._used.add(name)
                return name
        raise RuntimeError("word lists too small for this many documents")

    def company(
        self, rng: random.Random, country: str, *, sector: bool = True, avoid: str = ""
    ) -> tuple[str, str]:
        """A legal name and the short brand a wordmark shows (``Nordwind Logistik GmbH``, ``Nordwind``).

        ``avoid`` is a name whose stems are not to be used (the seller's, when naming its customer).
        """
        language = vocab.COUNTRY_LANGUAGE[country]
        stems = [s for s in vocab.split_half(vocab.STEMS[language], self.split) if s not in avoid]
        form = rng.choice(vocab.LEGAL_FORMS[country])
        chosen: dict[str, str] = {}

        def make() -> str:
            stem = rng.choice(stems)
            chosen["brand"] = stem
            if not sector:
                return f"{stem} {form}"
            word = rng.choice(vocab.SECTORS[language])
            if rng.random() < 0.15:
                other = rng.choice([s for s in stems if s != stem])
                return f"{stem} & {other} {word} {form}"
            return f"{stem} {word} {form}"

        name = self._fresh(make)
        return name, chosen["brand"]

    def person(self, rng: random.Random, language: str, *, unique: bool = False) -> str:
        """An invented person's full name (``unique`` for a person who is a party of the invoice)."""
        first = vocab.split_half(vocab.FIRST_NAMES[language], self.split)
        last = vocab.split_half(vocab.LAST_NAMES[language], self.split)
        make = lambda: f"{rng.choice(first)} {rng.choice(last)}"  # noqa: E731
        return self._fresh(make) if unique else make()

    def address(self, rng: random.Random, country: str, *, country_line: str | None = None) -> list[str]:
        """Postal address lines in the country's own order."""
        street = rng.choice(vocab.split_half(vocab.STREETS[country], self.split))
        postcode, city = rng.choice(vocab.CITIES[country])
        no = rng.randint(1, 180)
        if country in ("FR", "GB", "IE"):
            lines = [f"{no} {street}"]
        elif country == "US":
            lines = [f"{rng.randint(100, 9800)} {street}"]
            if rng.random() < 0.4:
                lines[0] += f", Suite {rng.randint(1, 9)}{rng.randint(0, 9)}0"
        elif country in ("ES", "IT"):
            lines = [f"{street}, {no}"]
        else:
            lines = [f"{street} {no}"]
        if country == "US":
            state, zipcode = postcode.split()
            lines.append(f"{city}, {state} {zipcode}")
        elif country == "GB":
            lines += [city, postcode]
        elif country == "IE":
            lines.append(f"{city} {postcode}" if not city.startswith("Dublin") else f"{city}, {postcode}")
        elif country == "FR":
            lines.append(f"{postcode} {city.upper() if rng.random() < 0.5 else city}")
        else:
            lines.append(f"{postcode} {city}")
        if country_line:
            lines.append(country_line)
        return lines

    def party(
        self,
        rng: random.Random,
        country: str,
        *,
        language: str,
        person: bool = False,
        with_country: bool = False,
        sector: bool = True,
        avoid: str = "",
    ) -> Party:
        """A company (or a person) in ``country`` with the identifiers invoices there print."""
        country_line = vocab.COUNTRY_NAMES[country][language] if with_country else None
        if person:
            name = self.person(rng, vocab.COUNTRY_LANGUAGE[country], unique=True)
            brand = name
        else:
            name, brand = self.company(rng, country, sector=sector, avoid=avoid)
        slug = "".join(ch for ch in ascii_mail(brand.lower()) if ch.isalnum())[:14]
        tld = {"GB": "co.uk", "US": "com", "IE": "ie"}.get(country, country.lower())
        mailbox = rng.choice(MAILBOXES[vocab.COUNTRY_LANGUAGE[country]])
        return Party(
            name=name,
            address=self.address(rng, country, country_line=country_line),
            country=country,
            brand=brand,
            vat_id=vat_id(rng, country),
            email=f"{mailbox}@{slug}.{tld}",
            phone=phone(rng, country),
            website=f"www.{slug}.{tld}",
        )


def vat_id(rng: random.Random, country: str) -> str:
    """A well-formed (invented) VAT or tax number for ``country``."""
    digits = lambda n: "".join(str(rng.randint(0, 9)) for _ in range(n))  # noqa: E731
    return {
        "DE": f"DE{digits(9)}",
        "AT": f"ATU{digits(8)}",
        "CH": f"CHE-{digits(3)}.{digits(3)}.{digits(3)} MWST",
        "FR": f"FR{digits(2)} {digits(3)} {digits(3)} {digits(3)}",
        "NL": f"NL{digits(9)}B01",
        "ES": f"B{digits(8)}",
        "IT": f"IT{digits(11)}",
        "GB": f"GB {digits(3)} {digits(4)} {digits(2)}",
        "IE": f"IE{digits(7)}W",
        "US": f"{digits(2)}-{digits(7)}",
    }[country]


def phone(rng: random.Random, country: str) -> str:
    """A phone number in the country's usual shape."""
    d = lambda n: "".join(str(rng.randint(0, 9)) for _ in range(n))  # noqa: E731
    return {
        "DE": f"+49 {rng.choice(['40', '89', '221', '711', '341'])} {d(6)}",
        "AT": f"+43 1 {d(7)}",
        "CH": f"+41 44 {d(3)} {d(2)} {d(2)}",
        "FR": f"+33 {rng.randint(1, 5)} {d(2)} {d(2)} {d(2)} {d(2)}",
        "NL": f"+31 {rng.choice(['20', '30', '10'])} {d(3)} {d(4)}",
        "ES": f"+34 9{d(2)} {d(3)} {d(3)}",
        "IT": f"+39 0{d(2)} {d(7)}",
        "GB": f"+44 {rng.choice(['161', '113', '117', '20'])} {d(3)} {d(4)}",
        "IE": f"+353 1 {d(3)} {d(4)}",
        "US": f"({rng.randint(200, 989)}) {d(3)}-{d(4)}",
    }[country]


def iban(rng: random.Random, country: str) -> str:
    """An IBAN-shaped account number, grouped by four."""
    lengths = dict(DE=18, AT=16, CH=17, FR=23, NL=14, ES=20, IT=23, GB=18, IE=18)
    body = "".join(str(rng.randint(0, 9)) for _ in range(lengths.get(country, 18)))
    if country == "NL":
        body = rng.choice(["INGB", "RABO", "ABNA"]) + body[4:]
    text = f"{country}{rng.randint(10, 99)}{body}"
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def issue_date(rng: random.Random) -> dt.date:
    """An invoice date between January 2023 and June 2025, on a working day."""
    day = dt.date(2023, 1, 2) + dt.timedelta(days=rng.randint(0, 900))
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def invoice_number(rng: random.Random, pattern: str, issued: dt.date) -> str:
    """An invoice number in one of the shapes real systems print."""
    n = rng.randint(3, 980)
    y, m = issued.year, issued.month
    shapes = {
        "odoo": f"INV/{y}/{m:02d}/{n:04d}",
        "odoo_fr": f"FAC/{y}/{n:05d}",
        "re": f"RE-{y}-{n:04d}",
        "f": f"F{y}-{n:05d}",
        "slash": f"{y}/{n:03d}",
        "it": f"{n}/{y}",
        "sap": f"90{rng.randint(10000000, 99999999)}",
        "qb": str(rng.randint(1001, 4999)),
        "xero": f"INV-{rng.randint(1, 9999):04d}",
        "stripe": "".join(rng.choice("0123456789ABCDEF") for _ in range(8)) + f"-{rng.randint(1, 40):04d}",
        "utility": f"{rng.randint(10**11, 10**12 - 1)}",
        "hotel": f"{rng.randint(100000, 999999)}",
        "courier": f"{y % 100:02d}{rng.randint(1000000, 9999999)}",
        "datev": f"{y}{n:04d}",
        "nl": f"{y}-{n:04d}",
        "es": f"A-{y}-{n:04d}",
        "hash": f"#{rng.randint(1000, 9999)}",
        "mp": f"{y % 100}-{rng.randint(10000, 99999)}-{rng.randint(100, 999)}",
    }
    return shapes[pattern]


def price(rng: random.Random, low: float, high: float) -> Decimal:
    """A unit price in a range, rounded the way price lists are (x.00, x.50, x.90, or any cent)."""
    value = rng.uniform(low, high)
    if value >= 40 and rng.random() < 0.6:
        return Decimal(round(value / 5) * 5).quantize(Decimal("0.01"))
    if rng.random() < 0.3:
        return (Decimal(int(value)) + Decimal("0.90")).quantize(Decimal("0.01"))
    return Decimal(f"{value:.2f}")


def quantity_for(rng: random.Random, item: vocab.Item) -> Decimal:
    """A plausible quantity for the item: hours in halves, cheap goods in dozens, services once."""
    if item.unit == "h":
        return Decimal(rng.randint(1, 48)) / 2
    if item.unit in ("flat", "month"):
        return Decimal(rng.choice([1, 1, 1, 2, 3]))
    if item.unit == "day":
        return Decimal(rng.choice([1, 1, 2, 3, 0.5]))
    if item.high < 20:
        return Decimal(rng.choice([5, 10, 12, 20, 24, 25, 50, 100, 200]))
    if item.unit in ("pers", "user"):
        return Decimal(rng.randint(3, 60))
    return Decimal(rng.randint(1, 12))


REPEATS = dict(
    services=dict(en="phase 2", de="Phase 2", fr="phase 2", nl="fase 2", es="fase 2", it="fase 2"),
    goods=dict(
        en="backorder",
        de="Nachlieferung",
        fr="reliquat",
        nl="nalevering",
        es="pendiente",
        it="consegna a saldo",
    ),
)


def make_lines(
    rng: random.Random, domain: str, language: str, count: int, rate: Decimal, *, with_codes: bool = False
) -> list[Line]:
    """``count`` lines from the domain's catalog (repeating items only when the catalog runs out)."""
    catalog = list(vocab.ITEMS[domain])
    rng.shuffle(catalog)
    lines = []
    for i in range(count):
        item = catalog[i % len(catalog)]
        description = item.name(language)
        if i >= len(catalog):
            # On long invoices an item comes back as a later phase or a back-ordered delivery.
            description += (
                f" – {REPEATS['services' if item.unit in ('h', 'day', 'flat') else 'goods'][language]}"
            )
        lines.append(
            Line(
                description=description,
                quantity=quantity_for(rng, item),
                unit_price=price(rng, item.low, item.high),
                rate=rate,
                unit=vocab.UNITS[item.unit][language],
                code=f"{rng.choice('ABCDEFHKMRS')}{rng.randint(1000, 99999)}" if with_codes else "",
            )
        )
    return lines


def item_count(rng: random.Random, span: tuple[int, int]) -> int:
    """How many lines an invoice has: a long span is taken as asked; otherwise mostly a few."""
    low, high = span
    if low >= 12:
        return rng.randint(low, high)
    roll = rng.random()
    n = rng.randint(1, 3) if roll < 0.4 else rng.randint(4, 9) if roll < 0.9 else rng.randint(10, 14)
    return max(low, min(n, high))
