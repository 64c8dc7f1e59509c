"""The seller on scans and photos: the kinds of failure OCR and letter layouts cause (legal
forms glued to a word, names cut into cells, the recipient's block beside the document's
details, a logo beside a title), each as a small page."""

from __future__ import annotations

import pytest

from extractors.fieldmap.party_lines import legal_form
from tests.extractors.fieldmap.lines import invoice, line, receipt, value


@pytest.mark.parametrize(
    ("printed", "form"),
    [
        ("VeldhorstLogistiekV.O.F.", "v o f"),
        ("SteinbruckHaustechnikAG", "ag"),
        ("Castelroux&Moreval IngenierieSAs", "sas"),
        ("Pinecrag&WrenfieldFacilitiesDAC", "dac"),
        ("Olivenza ConsultoresS.L.", "sl"),
        ("HOTELDUPLESSIEREURL", "eurl"),
        ("Arbelot Imprimerie.SA", "sa"),
        ("Müller & Söhne KG", "kg"),
        ("Quellenhof&WeidenauVerpackunge.K.", "e k"),
        ("ABC SDN BHD (KEPONG)", "sdn bhd"),  # a branch in brackets after the form
    ],
)
def test_legal_forms_as_ocr_prints_them(printed: str, form: str) -> None:
    found = legal_form(printed)
    assert found is not None and found.replace(" ", "") == form.replace(" ", "")


@pytest.mark.parametrize(
    "printed", ["Poids(kg)", "Tarif/kg", "McDonald", "PayPal", "Route-AG", "GmbH", "New York, U.S.A."]
)
def test_no_legal_form_in_units_or_brand_names(printed: str) -> None:
    assert legal_form(printed) is None


def test_glued_legal_form_names_the_issuer_over_its_logo_and_is_spaced() -> None:
    result = invoice(
        [
            line("Veldhorst", 0.05, x0=0.76, x1=0.9, height=0.02),
            line("VeldhorstLogistiekV.O.F.", 0.078, x0=0.74, x1=0.9),
            line("Keizersweg70", 0.091, x0=0.81, x1=0.91),
            line("9711LMGroningen", 0.103, x0=0.78, x1=0.91),
            line("FACTUUR", 0.158, x0=0.07, x1=0.27, height=0.03),
        ]
    )
    vendor = result.fields["vendor_name"]
    assert vendor.value == "Veldhorst Logistiek V.O.F."
    assert vendor.method == "party:legal-form-top"


def test_letterhead_above_the_recipient_beside_the_details_is_the_issuer() -> None:
    # a small letterhead line, then the recipient's block beside the invoice details: both
    # have a legal form, the recipient's is taller
    result = invoice(
        [
            line("NORDWIND METALLBAU AG", 0.16, x0=0.15, x1=0.37, height=0.013),
            line("Eichhorst & Weidenau Elektrotechnik GmbH", 0.224, x0=0.15, x1=0.46, height=0.019),
            line("Rechnungs-Nr.:", 0.224, x0=0.52, x1=0.63, height=0.019),
            line("20240536", 0.224, x0=0.66, x1=0.72, height=0.019),
            line("Industriezeile 92", 0.243, x0=0.15, x1=0.29),
            line("4020 Linz", 0.262, x0=0.15, x1=0.22),
            line("RECHNUNG", 0.31, x0=0.14, x1=0.32),
        ]
    )
    vendor = result.fields["vendor_name"]
    assert vendor.value == "NORDWIND METALLBAU AG"
    assert "the first organisation named on the page" in vendor.evidence
    assert value(result, "invoice_number") == "20240536"


def test_far_apart_cells_of_a_row_are_no_name_and_a_possessive_title_is_none() -> None:
    # "marivaux" (a logo) and "Votre facture" (the title) share a row, far apart
    result = invoice(
        [
            line(
                "marivaux                                 Votre facture", 0.03, x0=0.07, x1=0.95, height=0.03
            ),
            line("12 février 2024", 0.065, x0=0.84, x1=0.94),
            line("Total à payer   361,25", 0.26),
            line("MarivauxTelecom EURL·94rue desTanneurs-67000Strasbourg", 0.94, x0=0.07, x1=0.6),
            line("N TVA FR67815847220 - www.marivaux.fr", 0.952, x0=0.07, x1=0.5),
        ]
    )
    vendor = result.fields["vendor_name"]
    assert vendor.value == "Marivaux Telecom EURL"
    assert vendor.method == "party:footer"


def test_a_legal_form_ocr_cut_into_cells_completes_the_name_above() -> None:
    result = receipt(
        [
            line("POPULAR BOOK", 0.126, x0=0.2, x1=0.77),
            # OCR read the second line as four pieces
            line("cO.", 0.147, x0=0.15, x1=0.27),
            line("(M)", 0.147, x0=0.35, x1=0.47),
            line("SDN", 0.147, x0=0.55, x1=0.67),
            line("BHD", 0.147, x0=0.74, x1=0.86),
            line("(Co.No.113825-W)", 0.17, x0=0.27, x1=0.7),
            line("No 8,Jalan 7/118B,Desa Tun Razak", 0.215, x0=0.08, x1=0.88),
        ]
    )
    merchant = result.fields["merchant_name"]
    assert merchant.value == "POPULAR BOOK cO. (M) SDN BHD"
    assert any("joined with the line above" in note for note in merchant.evidence)


def test_a_bracketed_company_number_ends_the_name() -> None:
    result = receipt(
        [
            line("MYNEWS RETAIL SB (306295-X) FKA BISON STORES SB", 0.1),
            line("TAX REG ID CBP000709361664", 0.12),
            line("OASIS VILLAGE, JALAN PJU 1A/7A", 0.14),
        ]
    )
    merchant = result.fields["merchant_name"]
    assert merchant.value == "MYNEWS RETAIL SB"
    assert any("registration dropped" in note for note in merchant.evidence)


def test_a_country_line_is_part_of_the_address_not_the_name() -> None:
    result = receipt(
        [
            line("GL HANDICRAFT & TAILORING", 0.15, x0=0.18, x1=0.81),
            line("19, JALAN KANCIL,", 0.176, x0=0.33, x1=0.67),
            line("55100 KUALA LUMPUR", 0.23, x0=0.29, x1=0.71),
            line("MALAYSIA", 0.255, x0=0.39, x1=0.6, height=0.02),
        ]
    )
    assert value(result, "merchant_name") == "GL HANDICRAFT & TAILORING"


def test_someone_elses_logo_above_the_chosen_name_makes_it_weaker() -> None:
    # the page never prints its issuer's full name, only its logo: the recipient's company
    # is the only legal-form name, and must not look sure
    def page(logo: str) -> list:
        return [
            line(logo, 0.04, x0=0.11, x1=0.26, height=0.025),
            line("Lavergnol BatimentSAS", 0.12, x0=0.06, x1=0.26, height=0.02),
            line("53 rue des Tanneurs", 0.139, x0=0.06, x1=0.22),
            line("67000 Strasbourg", 0.152, x0=0.06, x1=0.19),
        ]

    rival = invoice(page("Castelroux")).fields["vendor_name"]
    own = invoice(page("Lavergnol")).fields["vendor_name"]
    assert rival.value == own.value == "Lavergnol Batiment SAS"
    assert any("heading above names someone else" in note for note in rival.evidence)
    assert rival.confidence < own.confidence


def test_a_street_line_ocr_glued_to_its_house_number_is_part_of_the_address() -> None:
    result = invoice(
        [
            line("BrouwersgrachtMedia B.V.", 0.083, x0=0.6, x1=0.85, height=0.03),
            line("Kerkplein1", 0.118, x0=0.6, x1=0.7),
            line("1015ABAmsterdam", 0.134, x0=0.6, x1=0.85),
            line("Factuur nummer 123 vervalt", 0.3),  # a number after words is no street
        ]
    )
    address = result.fields["vendor_address"]
    assert address.value == "Kerkplein1, 1015 ABAmsterdam"
    assert address.method == "party:address-below"


def test_a_seller_labels_value_is_never_another_label() -> None:
    result = invoice(
        [
            line("Soldby", 0.102, x0=0.08, x1=0.13),
            line("Invoicedate", 0.102, x0=0.54, x1=0.63),
            line("13/01/2025", 0.102, x0=0.71, x1=0.79),
            line("KestrelDigital Ltd", 0.114, x0=0.08, x1=0.21),
            line("140MillLane", 0.128, x0=0.08, x1=0.17),
        ]
    )
    vendor = result.fields["vendor_name"]
    assert (vendor.value, vendor.method) == ("Kestrel Digital Ltd", "party:label")


def test_footer_name_glued_to_its_street_named_by_the_logo_beats_the_recipient() -> None:
    # the logo is the issuer's; the only legal-form name at the top is the recipient's
    result = invoice(
        [
            line("ferravalle                      La tua fattura", 0.025, x0=0.08, x1=0.95, height=0.04),
            line("11marzo2024", 0.068, x0=0.84, x1=0.95, height=0.017),
            line("Castellaro & Vallombra Consulting S.p.A.", 0.124, x0=0.08, x1=0.38, height=0.028),
            line("Codice cliente", 0.124, x0=0.49, x1=0.59, height=0.028),
            line("30078502", 0.124, x0=0.89, x1=0.95, height=0.028),
            line("Piazza del Duomo, 174", 0.139, x0=0.07, x1=0.23, height=0.028),
            line("37121 Verona (VR)", 0.153, x0=0.07, x1=0.2, height=0.028),
            *(line(f"Servizio {i}    10,00", 0.3 + 0.03 * i, height=0.028) for i in range(8)),
            line("FerravalleTelecom S.n.c.ViaGaribaldi,151-20121Milano（MI）)", 0.94, x0=0.07, x1=0.6),
        ]
    )
    vendor = result.fields["vendor_name"]
    assert (vendor.value, vendor.method) == ("Ferravalle Telecom S.n.c.", "party:footer")
    assert any("heading word 'ferravalle'" in note for note in vendor.evidence)
    assert value(result, "customer_name") == "Castellaro & Vallombra Consulting S.p.A."


def test_a_footer_name_with_a_street_word_still_names_the_issuer() -> None:
    result = invoice(
        [
            line("Uw energienota", 0.045, x0=0.75, x1=0.94, height=0.025),
            line("Te betalen   296,06", 0.14, x0=0.56, x1=0.72),
            line("BrouwersgrachtEnergieN.V.Stationsplein77·2511BTDen Haag", 0.93, x0=0.1, x1=0.8),
            line("www.brouwersgracht.nl", 0.945, x0=0.1, x1=0.4),
        ]
    )
    vendor = result.fields["vendor_name"]
    assert (vendor.value, vendor.method) == ("Brouwersgracht Energie N.V.", "party:footer")
    assert "looks like an address line" in vendor.evidence


def _centred(text: str, y: float, *, centre: float = 0.5, char: float = 0.01):
    half = len(text) * char / 2
    return line(text, y, x0=centre - half, x1=centre + half)


def _receipt_under(name_line) -> object:
    return receipt(
        [
            name_line,
            _centred("(1120908-M)", 0.13),
            _centred("NO.1, TAMAN SRI DENGKIL, JALAN AIR HITAM", 0.16),
            _centred("43800 DENGKIL, SELANGOR", 0.19),
            line("Date: 21/03/2018", 0.3),
            line("TOTAL RM 25.80", 0.6),
        ]
    ).fields["merchant_name"]


def test_a_name_off_the_centre_line_of_its_centred_header_may_miss_a_word() -> None:
    # faded thermal print: the first word of a centred name left unread shifts it to the right
    name = "THREE SEAFOOD RESTAURANT SDN BHD"
    whole = _receipt_under(_centred(name, 0.1))
    shifted = _receipt_under(_centred(name, 0.1, centre=0.52))
    assert whole.value == shifted.value == name
    assert not any("off the centre" in e for e in whole.evidence)
    assert any("unread at its start" in e for e in shifted.evidence)
    assert shifted.confidence < whole.confidence


def test_a_left_aligned_header_says_nothing_about_the_centre() -> None:
    found = receipt(
        [
            line("THREE SEAFOOD RESTAURANT SDN BHD", 0.1, x0=0.1, x1=0.42),
            line("(1120908-M)", 0.13, x0=0.1, x1=0.21),
            line("NO.1, TAMAN SRI DENGKIL, JALAN AIR HITAM", 0.16, x0=0.1, x1=0.5),
            line("43800 DENGKIL, SELANGOR", 0.19, x0=0.1, x1=0.33),
            line("TOTAL RM 25.80", 0.6),
        ]
    ).fields["merchant_name"]
    assert not any("off the centre" in e for e in found.evidence)
