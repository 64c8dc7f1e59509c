"""Words the invoices are made of: labels per language, places, invented companies, items.

Company, street and person names are drawn from invented stems; the two splits use
disjoint halves of every list of names (see :func:`split_half`), so no seller, buyer or
street of the held-out split appears in the development split.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

LANGUAGES = ("en", "de", "fr", "nl", "es", "it")


def split_half(items: tuple[T, ...] | list[T], split: str) -> list[T]:
    """The half of a word list that belongs to a split (even positions: dev; odd: heldout)."""
    return list(items[0::2] if split == "dev" else items[1::2])


# Labels that several layouts print in several languages. Layouts drawn in one language
# only (DIN 5008, facture, factuur, ...) write their own words inline.
LABELS: dict[str, dict[str, str]] = {
    "invoice": dict(en="Invoice", de="Rechnung", fr="Facture", nl="Factuur", es="Factura", it="Fattura"),
    "invoice_number": dict(
        en="Invoice number",
        de="Rechnungsnummer",
        fr="N° de facture",
        nl="Factuurnummer",
        es="Número de factura",
        it="Fattura n.",
    ),
    "invoice_date": dict(
        en="Invoice date",
        de="Rechnungsdatum",
        fr="Date de facture",
        nl="Factuurdatum",
        es="Fecha de factura",
        it="Data fattura",
    ),
    "due_date": dict(
        en="Due date", de="Fällig am", fr="Date d'échéance", nl="Vervaldatum", es="Vencimiento", it="Scadenza"
    ),
    "delivery_date": dict(
        en="Delivery date",
        de="Lieferdatum",
        fr="Date de livraison",
        nl="Leverdatum",
        es="Fecha de entrega",
        it="Data consegna",
    ),
    "order_date": dict(
        en="Order date",
        de="Bestelldatum",
        fr="Date de commande",
        nl="Besteldatum",
        es="Fecha del pedido",
        it="Data ordine",
    ),
    "order_number": dict(
        en="Order number",
        de="Bestellnummer",
        fr="N° de commande",
        nl="Bestelnummer",
        es="Número de pedido",
        it="N. ordine",
    ),
    "customer_number": dict(
        en="Customer no.",
        de="Kundennummer",
        fr="N° client",
        nl="Klantnummer",
        es="N.º cliente",
        it="Cod. cliente",
    ),
    "bill_to": dict(
        en="Bill to",
        de="Rechnungsadresse",
        fr="Facturé à",
        nl="Factuuradres",
        es="Facturar a",
        it="Intestatario",
    ),
    "ship_to": dict(
        en="Ship to",
        de="Lieferadresse",
        fr="Livré à",
        nl="Afleveradres",
        es="Enviar a",
        it="Destinazione merce",
    ),
    "sold_by": dict(
        en="Sold by", de="Verkauft von", fr="Vendu par", nl="Verkocht door", es="Vendido por", it="Venduto da"
    ),
    "description": dict(
        en="Description",
        de="Beschreibung",
        fr="Désignation",
        nl="Omschrijving",
        es="Descripción",
        it="Descrizione",
    ),
    "quantity": dict(en="Qty", de="Menge", fr="Qté", nl="Aantal", es="Cant.", it="Q.tà"),
    "unit_price": dict(
        en="Unit price",
        de="Einzelpreis",
        fr="Prix unitaire",
        nl="Prijs",
        es="Precio unit.",
        it="Prezzo unit.",
    ),
    "amount": dict(en="Amount", de="Betrag", fr="Montant", nl="Bedrag", es="Importe", it="Importo"),
    "vat": dict(en="VAT", de="MwSt.", fr="TVA", nl="btw", es="IVA", it="IVA"),
    "subtotal": dict(
        en="Subtotal", de="Zwischensumme", fr="Sous-total", nl="Subtotaal", es="Subtotal", it="Subtotale"
    ),
    "net": dict(
        en="Net amount",
        de="Nettobetrag",
        fr="Total HT",
        nl="Totaal excl. btw",
        es="Base imponible",
        it="Imponibile",
    ),
    "total": dict(
        en="Total", de="Gesamtbetrag", fr="Total TTC", nl="Totaal incl. btw", es="Total", it="Totale"
    ),
    "amount_due": dict(
        en="Amount due",
        de="Zu zahlender Betrag",
        fr="Net à payer",
        nl="Te betalen",
        es="Total a pagar",
        it="Totale da pagare",
    ),
    "paid": dict(
        en="Paid",
        de="Bereits bezahlt",
        fr="Acompte versé",
        nl="Reeds betaald",
        es="Pagado",
        it="Acconto versato",
    ),
    "discount": dict(en="Discount", de="Rabatt", fr="Remise", nl="Korting", es="Descuento", it="Sconto"),
    "shipping": dict(
        en="Shipping",
        de="Versandkosten",
        fr="Frais de port",
        nl="Verzendkosten",
        es="Gastos de envío",
        it="Spedizione",
    ),
    "page": dict(en="Page", de="Seite", fr="Page", nl="Pagina", es="Página", it="Pagina"),
    "of": dict(en="of", de="von", fr="sur", nl="van", es="de", it="di"),
    "continued": dict(
        en="Continued on next page",
        de="Fortsetzung auf der nächsten Seite",
        fr="Suite page suivante",
        nl="Vervolg op volgende pagina",
        es="Continúa en la página siguiente",
        it="Continua alla pagina successiva",
    ),
    "vat_id": dict(en="VAT No.", de="USt-IdNr.", fr="N° TVA", nl="Btw-nr.", es="NIF", it="P.IVA"),
    "phone": dict(en="Tel.", de="Tel.", fr="Tél.", nl="Tel.", es="Tel.", it="Tel."),
    "bank": dict(en="Bank", de="Bank", fr="Banque", nl="Bank", es="Banco", it="Banca"),
    "thanks": dict(
        en="Thank you for your business.",
        de="Vielen Dank für Ihren Auftrag.",
        fr="Merci de votre confiance.",
        nl="Bedankt voor uw opdracht.",
        es="Gracias por su confianza.",
        it="Grazie per la fiducia accordata.",
    ),
    "terms": dict(
        en="Payment due within {days} days of the invoice date.",
        de="Zahlbar innerhalb von {days} Tagen ohne Abzug.",
        fr="Paiement à {days} jours date de facture.",
        nl="Gelieve binnen {days} dagen te betalen.",
        es="Pago a {days} días desde la fecha de factura.",
        it="Pagamento a {days} giorni data fattura.",
    ),
}

UNITS: dict[str, dict[str, str]] = {
    "h": dict(en="hrs", de="Std.", fr="h", nl="uur", es="h", it="ore"),
    "pcs": dict(en="pcs", de="Stk.", fr="pce", nl="st.", es="ud.", it="pz."),
    "month": dict(en="month", de="Monat", fr="mois", nl="mnd", es="mes", it="mese"),
    "day": dict(en="day", de="Tag", fr="jour", nl="dag", es="día", it="gg"),
    "night": dict(en="night", de="Nacht", fr="nuit", nl="nacht", es="noche", it="notte"),
    "kg": dict(en="kg", de="kg", fr="kg", nl="kg", es="kg", it="kg"),
    "flat": dict(en="flat", de="pauschal", fr="forfait", nl="vast", es="global", it="forfait"),
    "user": dict(en="seat", de="Nutzer", fr="utilisateur", nl="gebruiker", es="usuario", it="utente"),
    "pers": dict(en="guest", de="Pers.", fr="pers.", nl="pers.", es="pers.", it="pers."),
}


@dataclass(frozen=True)
class Item:
    """A thing that can be billed, named in every language, with its unit and price range."""

    names: dict[str, str]
    unit: str
    low: float
    high: float
    fractional: bool = False

    def name(self, language: str) -> str:
        """The item's name in ``language``."""
        return self.names[language]


def _load_items() -> dict[str, tuple[Item, ...]]:
    """The item catalogue, one row per item with its name in every language (``items.csv``)."""
    catalogue: dict[str, list[Item]] = {}
    with (Path(__file__).parent / "items.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            unit = row["unit"]
            item = Item(
                names={language: row[language] for language in LANGUAGES},
                unit=unit,
                low=float(row["low"]),
                high=float(row["high"]),
                fractional=unit in ("h", "kg", "day"),
            )
            catalogue.setdefault(row["domain"], []).append(item)
    return {domain: tuple(items) for domain, items in catalogue.items()}


ITEMS: dict[str, tuple[Item, ...]] = _load_items()


def _words(text: str) -> tuple[str, ...]:
    """A word list written as one ``;``-separated string (keeps these tables short to read)."""
    return tuple(word.strip() for word in text.split(";"))


def _places(text: str) -> tuple[tuple[str, str], ...]:
    """``postcode city`` pairs from a ``;``-separated string; the postcode is what precedes the
    first word starting with a capital letter (``3511 KT Utrecht``, ``TX 78701 Austin``)."""
    pairs = []
    for entry in _words(text):
        tokens = entry.split()
        # A postcode token is all caps/digits and short; the city starts at the first other token.
        cut = next(
            i for i, t in enumerate(tokens) if i and not (t.isupper() or t.isdigit() or t[:1].isdigit())
        )
        pairs.append((" ".join(tokens[:cut]), " ".join(tokens[cut:])))
    return tuple(pairs)


# Invented stems for company names. Each split draws from its own half (split_half).
STEMS: dict[str, tuple[str, ...]] = {
    "de": _words(
        "Nordwind; Falkenried; Hollbach; Sturmfels; Weidenau; Rabenstein; Eichhorst; Tannwald; "
        "Brückmann; Seefelder; Hagedorn; Ostermeier; Kranzbühl; Lindgraf; Wettering; Auenthal; "
        "Steinbrück; Mühlbach; Quellenhof; Gerbrandt"
    ),
    "fr": _words(
        "Moreval; Beaulac; Castelroux; Vernaison; Duplessier; Montclairon; Arbelot; Saint-Aurel; "
        "Fontenac; Roussac; Lavergnol; Chabrier; Marivaux; Trévignac"
    ),
    "nl": _words(
        "Van Oosterhout; De Lindeboom; Brouwersgracht; Van Dalfsen; Kempenaar; Hoogeveld; "
        "Zeeburg; Van Heemskerck; Stroomland; De Waalkade; Veldhorst; Korenmaat"
    ),
    "es": _words(
        "Almazara; Castellví; Montoriol; Villaseca; Torrealba; Garrigós; Peñaflor; Azahara; "
        "Roblecillo; Valdemar; Olivenza; Miralbo"
    ),
    "it": _words(
        "Ferravalle; Montebruno; Castellaro; Brunelli; Vallombra; Santorso; Torrebianca; "
        "Rivabella; Coltrano; Moranzoni; Pietrasanta; Lucignano"
    ),
    "en": _words(
        "Brightwell; Harrowgate; Kestrel; Ashcombe; Fernleigh; Thistlewood; Oakhollow; "
        "Bramblecote; Silverbeck; Larkspur; Ravensworth; Quillmore; Hollowbrook; Marlowe; "
        "Pinecrag; Stonebrake; Wrenfield; Caldermoor; Ironvale; Bluefell"
    ),
}

SECTORS: dict[str, tuple[str, ...]] = {
    "de": _words(
        "Logistik; Metallbau; Bürotechnik; Elektrotechnik; Haustechnik; Software; Verpackung; "
        "Medien; Consulting; Gebäudeservice; Maschinenbau; Druck"
    ),
    "fr": _words(
        "Conseil; Logistique; Bâtiment; Informatique; Emballages; Imprimerie; Services; "
        "Ingénierie; Distribution; Traiteur"
    ),
    "nl": _words(
        "Logistiek; Installatietechniek; Advies; Drukwerk; Bouw; ICT; Verpakkingen; Media; Techniek"
    ),
    "es": _words(
        "Logística; Ingeniería; Servicios; Distribuciones; Consultores; Suministros; Gráficas; Instalaciones"
    ),
    "it": _words("Logistica; Impianti; Servizi; Forniture; Consulting; Grafiche; Meccanica; Distribuzione"),
    "en": _words(
        "Analytics; Logistics; Supplies; Engineering; Digital; Consulting; Print; Systems; "
        "Software; Facilities; Labs; Freight"
    ),
}

LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "DE": _words("GmbH; GmbH; AG; GmbH & Co. KG; e.K.; UG (haftungsbeschränkt)"),
    "AT": _words("GmbH; GmbH; AG; KG"),
    "CH": _words("AG; GmbH; AG; Sàrl"),
    "FR": _words("SARL; SAS; SAS; SA; EURL"),
    "NL": _words("B.V.; B.V.; N.V.; V.O.F."),
    "ES": _words("S.L.; S.L.; S.A.; S.L.U."),
    "IT": _words("S.r.l.; S.r.l.; S.p.A.; S.n.c."),
    "GB": _words("Ltd; Ltd; Limited; plc; LLP"),
    "IE": _words("Ltd; Limited; DAC"),
    "US": _words("LLC; Inc.; Inc.; LLC; Corp."),
}

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "de": _words(
        "Jonas; Lena; Matthias; Sabine; Tobias; Katrin; Florian; Annika; Henrik; Miriam; Ulrich; Theresa"
    ),
    "fr": _words("Camille; Julien; Élodie; Mathieu; Sandrine; Thibault; Amélie; Grégoire; Océane; Rémi"),
    "nl": _words("Sanne; Joost; Marieke; Thijs; Femke; Bram; Lotte; Ruben; Eline; Wouter"),
    "es": _words("Lucía; Álvaro; Nuria; Sergio; Begoña; Íñigo; Carmen; Raúl; Paloma; Andrés"),
    "it": _words("Giulia; Matteo; Chiara; Lorenzo; Francesca; Davide; Elisa; Tommaso; Silvia; Niccolò"),
    "en": _words("Olivia; James; Hannah; Daniel; Grace; Samuel; Chloe; Nathan; Megan; Owen; Rachel; Connor"),
}

LAST_NAMES: dict[str, tuple[str, ...]] = {
    "de": _words(
        "Kessler; Brandauer; Voigtländer; Hahnemann; Riedel; Zöllner; Lammert; Seidlitz; "
        "Oberholz; Wendland; Fröhlich; Grabowski"
    ),
    "fr": _words(
        "Lefèvre; Marchetti; Duchêne; Beaumont; Girardot; Rochefort; Vallet; Perrin; Lacombe; Thévenet"
    ),
    "nl": _words("de Vries; Jansen; van Dijk; Bakker; Visser; Smit; Mulder; de Graaf; Hendriks; van Leeuwen"),
    "es": _words(
        "García Ruiz; Martín Soler; Navarro; Ibáñez; Ortega; Castaño; Prieto; Muñoz; Herrera; Vidal"
    ),
    "it": _words(
        "Bianchi; Colombo; Ferraresi; Galli; Martinelli; Rinaldi; Fontana; Caruso; Moretti; Barbieri"
    ),
    "en": _words(
        "Whitaker; Hargreaves; Pemberton; Calloway; Ashworth; Fairbanks; Lindqvist; Okafor; "
        "Brennan; Castellano; Donnelly; Prescott"
    ),
}

STREETS: dict[str, tuple[str, ...]] = {
    "DE": _words(
        "Hafenstraße; Lindenallee; Am Mühlenteich; Gewerbering; Schillerstraße; Kastanienweg; "
        "Industriestraße; Bahnhofsplatz; Rosenhang; Feldstraße; Im Wiesengrund; Kirchgasse"
    ),
    "AT": _words("Mariahilfer Gürtel; Lindengasse; Industriezeile; Am Anger; Hauptplatz; Augasse"),
    "CH": _words("Seestrasse; Bahnhofstrasse; Industriestrasse; Rebbergweg; Dorfstrasse; Lindenhofweg"),
    "FR": _words(
        "rue des Tanneurs; avenue des Tilleuls; boulevard du Midi; rue de la Forge; allée des "
        "Cerisiers; rue du Moulin; quai des Bateliers; chemin des Vignes; place du Marché; rue "
        "Pasteur"
    ),
    "NL": _words(
        "Keizersweg; Molenstraat; Havenkade; Lindelaan; Kerkplein; Industrieweg; Zuiderdijk; "
        "Bloemgracht; Stationsplein; Vlasakker"
    ),
    "ES": _words(
        "Calle del Olmo; Avenida de la Constitución; Calle Mayor; Paseo de los Álamos; Calle "
        "Real; Ronda de Poniente; Calle de la Industria; Plaza del Carmen"
    ),
    "IT": _words(
        "Via Garibaldi; Corso Europa; Via dei Mille; Viale delle Industrie; Via Roma; Via San "
        "Rocco; Piazza del Duomo; Via Aurelio Saffi"
    ),
    "GB": _words(
        "Mill Lane; Station Road; Kingsway; Harbour Street; Church Walk; Victoria Parade; Orchard "
        "Close; Riverside Way; Queen's Yard; Ashgrove Road"
    ),
    "IE": _words("Fitzwilliam Lane; Harbour Road; Grand Canal Quay; Castle Street; Bridge Street; Mill Road"),
    "US": _words(
        "Maple Avenue; Commerce Drive; Lakeshore Blvd; Industrial Parkway; Main Street; Cedar "
        "Lane; Harbor Way; Elm Street; Technology Drive; Pioneer Road"
    ),
}

CITIES: dict[str, tuple[tuple[str, str], ...]] = {
    "DE": _places(
        "20457 Hamburg; 80331 München; 50667 Köln; 70173 Stuttgart; 04109 Leipzig; "
        "90402 Nürnberg; 28195 Bremen; 30159 Hannover; 60311 Frankfurt am Main; 44135 Dortmund"
    ),
    "AT": _places("1070 Wien; 8010 Graz; 4020 Linz; 5020 Salzburg"),
    "CH": _places("8004 Zürich; 3011 Bern; 4051 Basel; 6003 Luzern; 9000 St. Gallen"),
    "FR": _places(
        "69003 Lyon; 75011 Paris; 33000 Bordeaux; 31000 Toulouse; 44000 Nantes; "
        "67000 Strasbourg; 13002 Marseille; 59000 Lille"
    ),
    "NL": _places(
        "3511 KT Utrecht; 1015 AB Amsterdam; 3012 CL Rotterdam; 5611 AZ Eindhoven; "
        "9711 LM Groningen; 2511 BT Den Haag"
    ),
    "ES": _places(
        "28014 Madrid; 08013 Barcelona; 46002 Valencia; 41004 Sevilla; 48001 Bilbao; 50001 Zaragoza"
    ),
    "IT": _places(
        "20121 Milano (MI); 10123 Torino (TO); 40125 Bologna (BO); 50122 Firenze (FI); "
        "37121 Verona (VR); 00184 Roma (RM)"
    ),
    "GB": _places(
        "M1 2AB Manchester; LS1 4DY Leeds; BS1 5TR Bristol; EH2 2ER Edinburgh; "
        "NG1 6FD Nottingham; SE1 9SG London"
    ),
    "IE": _places("D02 X285 Dublin 2; T12 K8AF Cork; H91 E2K3 Galway"),
    "US": _places(
        "TX 78701 Austin; OR 97204 Portland; CO 80202 Denver; IL 60606 Chicago; MA 02110 Boston; "
        "WA 98101 Seattle; NC 27601 Raleigh"
    ),
}

COUNTRY_NAMES: dict[str, dict[str, str]] = {
    "DE": dict(en="Germany", de="Deutschland", fr="Allemagne", nl="Duitsland", es="Alemania", it="Germania"),
    "AT": dict(en="Austria", de="Österreich", fr="Autriche", nl="Oostenrijk", es="Austria", it="Austria"),
    "CH": dict(en="Switzerland", de="Schweiz", fr="Suisse", nl="Zwitserland", es="Suiza", it="Svizzera"),
    "FR": dict(en="France", de="Frankreich", fr="France", nl="Frankrijk", es="Francia", it="Francia"),
    "NL": dict(
        en="Netherlands", de="Niederlande", fr="Pays-Bas", nl="Nederland", es="Países Bajos", it="Paesi Bassi"
    ),
    "ES": dict(en="Spain", de="Spanien", fr="Espagne", nl="Spanje", es="España", it="Spagna"),
    "IT": dict(en="Italy", de="Italien", fr="Italie", nl="Italië", es="Italia", it="Italia"),
    "GB": dict(
        en="United Kingdom",
        de="Vereinigtes Königreich",
        fr="Royaume-Uni",
        nl="Verenigd Koninkrijk",
        es="Reino Unido",
        it="Regno Unito",
    ),
    "IE": dict(en="Ireland", de="Irland", fr="Irlande", nl="Ierland", es="Irlanda", it="Irlanda"),
    "US": dict(
        en="United States",
        de="USA",
        fr="États-Unis",
        nl="Verenigde Staten",
        es="Estados Unidos",
        it="Stati Uniti",
    ),
}

# The language a country's companies are named in.
COUNTRY_LANGUAGE = dict(
    DE="de", AT="de", CH="de", FR="fr", NL="nl", ES="es", IT="it", GB="en", IE="en", US="en"
)
