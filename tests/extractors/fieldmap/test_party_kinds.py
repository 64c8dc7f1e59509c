"""Kinds of seller failure on invoices: a footer legal line written as sentences (also with
its spaces glued by OCR), a seller label whose neighbours are labels, a bracketed legal form
misread by OCR, a footer name whose address stands under it in columns OCR read as one line
or glued to its street by a dash, the buyer's half of a two-party label grid, a legal form
glued to a letterhead in capitals, a line of address parts with a state code, and the
recipient's company beside the details when only a wordmark opens the page."""

from __future__ import annotations

from tests.extractors.fieldmap.lines import invoice, line, value


def test_footer_sentence_opens_with_the_sellers_name() -> None:
    # a spaced-out wordmark at the top, the legal name only in the footer's legal sentence
    result = invoice(
        [
            line("B L U E F E L L", 0.05, x0=0.06, x1=0.3, height=0.03),
            line("160 Ashgrove Road", 0.04, x0=0.8, x1=0.94),
            line("SALES INVOICE", 0.11, x0=0.06, x1=0.23, height=0.02),
            line("Invoice To", 0.14, x0=0.07, x1=0.14),
            line("Marlowe Digital plc", 0.155, x0=0.07, x1=0.2),
            line("171 Victoria Parade", 0.17, x0=0.07, x1=0.21),
            line("Invoice Total £ 1,200.00", 0.6, x0=0.6, x1=0.94),
            line(
                "Bluefell Logistics plc. Registered in England & Wales No. 10144770. Registered office: "
                "160 Ashgrove Road, Leeds, LS1 4DY.",
                0.94,
                x0=0.06,
                x1=0.87,
                height=0.011,
            ),
        ]
    )
    vendor = result.fields["vendor_name"]
    assert vendor.method == "party:footer"
    assert vendor.value is not None and str(vendor.value).startswith("Bluefell Logistics plc")


def test_seller_label_beside_labels_is_no_name() -> None:
    # "Cedente/prestatore (fornitore)": the seller's heading, the buyer's beside it, labels under it
    lines = [
        line("Cedente/prestatore (fornitore)", 0.056, x0=0.05, x1=0.24, height=0.013),
        line("Cessionario/committente (cliente)", 0.056, x0=0.52, x1=0.73, height=0.013),
        line("Identificativo fiscale ai fini IVA:", 0.076, x0=0.05, x1=0.22, height=0.012),
        line("IT17172432394", 0.076, x0=0.24, x1=0.32, height=0.012),
        line("Denominazione:", 0.102, x0=0.05, x1=0.14, height=0.012),
        line("Rivabella Consulting S.r.l.", 0.102, x0=0.24, x1=0.37, height=0.012),
        line("Indirizzo: Via San Rocco, 78", 0.115, x0=0.05, x1=0.3, height=0.012),
    ]
    vendor = invoice(lines).fields.get("vendor_name")
    assert vendor is None or vendor.value not in (
        "/prestatore (fornitore)",
        "Cessionario/committente (cliente)",
        "Identificativo fiscale ai fini IVA",
    )


def test_misread_bracketed_legal_form_is_completed_with_weaker_evidence() -> None:
    # OCR lost the last letter and the closing bracket of "UG (haftungsbeschränkt)"
    result = invoice(
        [
            line("Kranzbuhl Software UG(haftungsbeschrank", 0.05, height=0.025),
            line("Im Wiesengrund 164", 0.08),
            line("28195 Bremen", 0.1),
            line("Rechnungsnr. 9020900649", 0.2, x0=0.55, x1=0.9),
        ]
    )
    vendor = result.fields["vendor_name"]
    assert vendor.value == "Kranzbuhl Software UG (haftungsbeschränkt)"
    assert any(e.startswith("legal form completed") for e in vendor.evidence)
    assert vendor.confidence is not None and vendor.confidence <= 0.9 * 0.9 + 1e-6


def test_footer_name_with_its_address_in_the_column_under_it() -> None:
    # the footer's three columns read as one line each, with wide gaps
    result = invoice(
        [
            line("FERNLEIGH", 0.04, x0=0.69, x1=0.91, height=0.022),
            line("Invoice No.      9058465517", 0.15, x0=0.55, x1=0.91),
            line("Total net value     28,077.85", 0.66, x0=0.54, x1=0.93),
            line(
                "Fernleigh Analytics Inc.          Tel. (751) 952-1141          VAT No. 80-9361820",
                0.926,
                x0=0.09,
                x1=0.76,
                height=0.012,
            ),
            line(
                "9668 Technology Drive, Suite 640     billing@fernleigh.com",
                0.94,
                x0=0.09,
                x1=0.48,
                height=0.012,
            ),
            line("Portland, OR 97204          www.fernleigh.com", 0.954, x0=0.09, x1=0.47, height=0.012),
        ]
    )
    assert value(result, "vendor_name") == "Fernleigh Analytics Inc."
    address = result.fields["vendor_address"]
    assert address.value == "9668 Technology Drive, Suite 640, Portland, OR 97204"
    assert address.method == "party:address-footer"
    assert address.confidence is not None and address.confidence <= 0.5


def test_seller_address_stops_at_the_next_organisations_name() -> None:
    # the buyer's block stands right under the seller's address, without a heading between
    result = invoice(
        [
            line("Alpenblick Handel GmbH", 0.05, height=0.025),
            line("Hauptplatz 117", 0.08),
            line("1070 Wien", 0.097),
            line("Quellenhof Metallbau GmbH", 0.114),
            line("Industriezeile 154", 0.131),
            line("4020 Linz", 0.148),
            line("Rechnungsnummer: 2024-117", 0.25, x0=0.55, x1=0.9),
        ]
    )
    assert value(result, "vendor_name") == "Alpenblick Handel GmbH"
    assert value(result, "vendor_address") == "Hauptplatz 117, 1070 Wien"


def test_seller_address_never_walks_into_the_buyers_block() -> None:
    # the seller's own address line is unreadable; under it comes the buyer's block
    result = invoice(
        [
            line("Almazara Graficas S.L.", 0.12, x0=0.15, x1=0.45, height=0.03),
            line("FACTURA", 0.12, x0=0.7, x1=0.87, height=0.03),
            line("CIF B47134932-Calle dela Industria.74-50001Zaragoza", 0.155, x0=0.14, x1=0.44),
            line("Cliente", 0.175, x0=0.15, x1=0.25),
            line("Roblecillo Instalaciones S.L.", 0.192, x0=0.15, x1=0.4),
            line("Calle del Olmo, 124", 0.209, x0=0.15, x1=0.35),
            line("08013 Barcelona", 0.226, x0=0.15, x1=0.3),
        ]
    )
    assert value(result, "vendor_name") == "Almazara Graficas S.L."
    assert "Olmo" not in str(value(result, "vendor_address"))


def test_footer_legal_sentence_glued_by_ocr_names_the_seller() -> None:
    # only a wordmark at the top; the footer's legal sentence with the spaces after its full
    # stops lost, as OCR reads small print
    result = invoice(
        [
            line("Bramblecote", 0.054, x0=0.05, x1=0.26, height=0.03),
            line("148 Victoria Parade", 0.027, x0=0.8, x1=0.92),
            line("SALES INVOICE", 0.11, x0=0.05, x1=0.24, height=0.02),
            line("Invoice To", 0.14, x0=0.07, x1=0.15),
            line("Stonemoor Print Ltd", 0.155, x0=0.07, x1=0.25),
            line("130 Riverside Way", 0.17, x0=0.07, x1=0.21),
            line(
                "BramblecoteSystemsplc.Registered inEngland&WalesNo.07440930."
                "Registeredoffice:148VictoriaParade",
                0.934,
                x0=0.08,
                x1=0.92,
                height=0.012,
            ),
        ]
    )
    vendor = result.fields["vendor_name"]
    assert vendor.method == "party:footer"
    # the name as OCR glued it (the legal form stays glued): its first sentence, no more
    assert str(vendor.value).replace(" ", "").rstrip(".") == "BramblecoteSystemsplc"


def test_footer_name_glued_to_its_street_by_a_dash() -> None:
    # "name-house number street · town": the dash's spaces lost, the name still stands apart
    result = invoice(
        [
            line("Caldermoor", 0.044, x0=0.12, x1=0.29, height=0.03),
            line("Your electricity bill", 0.044, x0=0.71, x1=0.94, height=0.023),
            line("Daniel Fairbanks", 0.139, x0=0.07, x1=0.21),
            line("32 Victoria Parade", 0.154, x0=0.07, x1=0.21),
            line(
                "CaldermoorEnergyLimited-84Harbour Street·Edinburgh.EH22ER-VATNo.GB825019543",
                0.94,
                x0=0.07,
                x1=0.58,
                height=0.012,
            ),
        ]
    )
    assert value(result, "vendor_name") == "Caldermoor Energy Limited"


def test_label_value_grid_of_two_parties_reads_the_seller_not_the_buyer() -> None:
    # an e-invoice copy: the seller's grid under "Cedente/prestatore", the buyer's beside it
    # under "Cessionario/committente", each value right of its "Label:" cell
    grid = [
        ("Identificativo fiscale ai fini IVA:", "IT37615260222", "IT33427403978"),
        ("Denominazione:", "Rivabella Grafiche S.r.l.", "Brunelli Consulting S.r.l."),
        ("Indirizzo:", "Viale delle Industrie, 47", "Via Aurelio Saffi, 31"),
        ("Comune:", "50122 Firenze (FI)", "40121 Bologna (BO)"),
    ]
    lines = [
        line("Cedente/prestatore (fornitore)", 0.056, x0=0.05, x1=0.24, height=0.013),
        line("Cessionario/committente (cliente)", 0.056, x0=0.52, x1=0.73, height=0.013),
    ]
    for i, (label, seller, buyer) in enumerate(grid):
        y = 0.076 + 0.013 * i
        lines += [
            line(label, y, x0=0.05, x1=0.05 + 0.005 * len(label), height=0.012),
            line(seller, y, x0=0.24, x1=0.24 + 0.005 * len(seller), height=0.012),
            line(label, y, x0=0.52, x1=0.52 + 0.005 * len(label), height=0.012),
            line(buyer, y, x0=0.70, x1=0.70 + 0.005 * len(buyer), height=0.012),
        ]
    result = invoice(lines)
    assert value(result, "vendor_name") == "Rivabella Grafiche S.r.l."
    assert value(result, "vendor_address") == "Viale delle Industrie, 47, 50122 Firenze (FI)"


def test_law_firm_letterhead_with_its_legal_form_glued_is_the_seller() -> None:
    # a centred letterhead in capitals, "LLP" glued by OCR; its address line (a US state
    # code "CO" and middle dots) is no company; the client's block follows
    result = invoice(
        [
            line("CASTELLANO&FAIRBANKSLLP", 0.052, x0=0.3, x1=0.73, height=0.028),
            line("4307Cedar Lane·Denver.CO 80202-(407573-1010", 0.094, x0=0.36, x1=0.67),
            line("December 16.2024", 0.135, x0=0.13, x1=0.27),
            line("Marlowe AnalyticsLLC", 0.17, x0=0.13, x1=0.3),
            line("2990 ElmStreet.Suite670", 0.185, x0=0.12, x1=0.32),
            line("Boston.MA 02110", 0.204, x0=0.13, x1=0.26),
        ]
    )
    assert str(value(result, "vendor_name")).replace(" ", "") == "CASTELLANO&FAIRBANKSLLP"


def test_wordmark_opening_the_page_names_the_footer_company_over_the_recipient() -> None:
    # a photo: the brand wordmark no taller than the text, the sender line garbled, the
    # recipient's company beside the document's details, the issuer's name in the footer
    result = invoice(
        [
            line("ASHCOMBE", 0.13, x0=0.68, x1=0.85, height=0.029),
            line("AshcmbSymsLC952ioRadSui560stMA0dSt", 0.19, x0=0.2, x1=0.55, height=0.028, confidence=0.73),
            line("Invoice", 0.19, x0=0.57, x1=0.64, height=0.028),
            line("CaldermoorConsultingInc.", 0.211, x0=0.2, x1=0.36, height=0.036),
            line("InvoiceNo.", 0.211, x0=0.56, x1=0.63, height=0.036),
            line("9051684041", 0.211, x0=0.78, x1=0.85, height=0.036),
            line("7304CedarLane", 0.224, x0=0.2, x1=0.29, height=0.039),
            line("Invoicedate", 0.224, x0=0.52, x1=0.61, height=0.039),
            line("01/20/2023", 0.224, x0=0.78, x1=0.85, height=0.039),
            line("Boston,MA02110", 0.237, x0=0.2, x1=0.31, height=0.042),
            line("Ashcombe Systems LLC", 0.92, x0=0.21, x1=0.31, height=0.021),
            line("invoices@ashcombe.com", 0.92, x0=0.43, x1=0.54, height=0.021),
            line("6952PioneerRoad,Suite560", 0.931, x0=0.21, x1=0.33, height=0.019),
        ]
    )
    assert value(result, "vendor_name") == "Ashcombe Systems LLC"


def test_line_of_parts_with_a_state_code_is_no_company() -> None:
    # "street · town.CO postcode": the state code reads like the legal form "Co", but a line
    # of parts joined by middle dots is never a name
    result = invoice(
        [
            line("CASTELLANO", 0.052, x0=0.3, x1=0.73),
            line("4307 Cedar Lane·Denver.CO 80202-(407573-1010", 0.094, x0=0.36, x1=0.67),
            line("December 16, 2024", 0.135, x0=0.13, x1=0.27),
        ]
    )
    assert value(result, "vendor_name") == "CASTELLANO"


def test_bracketed_limited_liability_alone_closes_a_company_name() -> None:
    # a restaurant's centred letterhead ending in "(haftungsbeschränkt)" without "UG"; the
    # customer's company (with a legal form of its own) beside the bill's details
    result = invoice(
        [
            line("Gasthaus Tannwald (haftungsbeschränkt)", 0.055, x0=0.18, x1=0.85, height=0.03),
            line("Gerbrandt Consulting GmbH & Co. KG", 0.157, x0=0.11, x1=0.37),
            line("Rechnungs-Nr.", 0.157, x0=0.54, x1=0.66),
            line("2023/875", 0.157, x0=0.7, x1=0.77),
            line("Gewerbering 58", 0.173, x0=0.11, x1=0.23),
            line("Datum", 0.173, x0=0.57, x1=0.61),
            line("23.11.2023", 0.173, x0=0.69, x1=0.78),
            line("28195 Bremen", 0.188, x0=0.11, x1=0.21),
        ]
    )
    assert value(result, "vendor_name") == "Gasthaus Tannwald (haftungsbeschränkt)"


def test_company_line_with_its_own_name_is_not_joined_to_the_line_above() -> None:
    # "Tannwald UG (haftungsbeschränkt)" names itself: the brand line over it is no part of it
    # (only a branch-only line, "(SEMENYIH) SDN BHD", completes the line above)
    result = invoice(
        [
            line("Brauhaus Nordwind", 0.05, x0=0.1, x1=0.3),
            line("Tannwald UG (haftungsbeschränkt)", 0.068, x0=0.1, x1=0.5),
            line("Hafenstraße 12", 0.085, x0=0.1, x1=0.3),
            line("20457 Hamburg", 0.1, x0=0.1, x1=0.3),
        ]
    )
    assert value(result, "vendor_name") == "Tannwald UG (haftungsbeschränkt)"
