"""The buyer on scans and photos: the recipient's block under a sender line OCR garbled, a
block with a line of the next column between its lines, a label's value right of it."""

from __future__ import annotations

from tests.extractors.fieldmap.lines import invoice, line, value


def test_recipient_under_a_sender_line_whose_address_ocr_garbled() -> None:
    result = invoice(
        [
            line("KRANZBUHL", 0.069, x0=0.64, x1=0.84, height=0.025),
            line(
                "Kranzbuhl Software UG (haftungsbeschränkt),mWiesengrund16428195Bremen,Deutschla",
                0.137,
                x0=0.12,
                x1=0.58,
            ),
            line("Quellenhof&WeidenauVerpackunge.K.", 0.164, x0=0.12, x1=0.38),
            line("SchillerstraBe101", 0.18, x0=0.12, x1=0.26),
            line("04109Leipzig", 0.196, x0=0.12, x1=0.21),
        ]
    )
    buyer = result.fields["customer_name"]
    assert buyer.value == "Quellenhof&Weidenau Verpackung e.K."
    assert buyer.method == "party:buyer-window"


def test_recipient_block_with_a_line_of_the_next_column_between_its_lines() -> None:
    # a photo: "Kundennummer" of the details column sorts between the block's lines
    result = invoice(
        [
            line("SteinbruckHaustechnikAG", 0.106, x0=0.21, x1=0.54),
            # the sender line over the window, misread: no person's name
            line("SteinbrOck Hauste", 0.192, x0=0.2, x1=0.3),
            line("StechikAG-ndustriestraBe62-60311FrankturtamMain", 0.192, x0=0.31, x1=0.57),
            line("HagedornConsultingGmbH", 0.219, x0=0.2, x1=0.38),
            line("Rechnungsdatum", 0.219, x0=0.6, x1=0.71),
            line("Kundennummer", 0.236, x0=0.61, x1=0.72, height=0.01),
            line("z.Hd.TobiasOberholz", 0.233, x0=0.2, x1=0.35),
            line("AmMuhlenteich3", 0.246, x0=0.2, x1=0.31),
            line("60311FrankfurtamMain", 0.258, x0=0.2, x1=0.36),
        ]
    )
    assert value(result, "vendor_name") == "Steinbruck Haustechnik AG"
    assert value(result, "customer_name") == "Hagedorn Consulting GmbH"


def test_a_buyer_labels_value_right_of_it_before_the_line_under_it() -> None:
    result = invoice(
        [
            line("Pinecrag Engineering Ltd", 0.05),
            line("PAYMENT ADVICE", 0.813, x0=0.07, x1=0.25),
            line("Customer", 0.813, x0=0.33, x1=0.42),
            line("Hollowbrook Logistics DAC", 0.813, x0=0.45, x1=0.7),
            line("To:Pinecrag Engineering Ltd", 0.841, x0=0.07, x1=0.4),
        ]
    )
    buyer = result.fields["customer_name"]
    assert (buyer.value, buyer.method) == ("Hollowbrook Logistics DAC", "party:buyer-label")


def test_a_person_with_a_family_name_particle_is_the_recipient() -> None:
    result = invoice(
        [
            line("Brouwersgracht Energie N.V.", 0.045, x0=0.6, x1=0.9),
            line("Marieke de Vries", 0.142, x0=0.07, x1=0.2),
            line("Havenkade 73", 0.155, x0=0.07, x1=0.18),
            line("1015 AB Amsterdam", 0.168, x0=0.07, x1=0.26),
        ]
    )
    buyer = result.fields["customer_name"]
    assert (buyer.value, buyer.method) == ("Marieke de Vries", "party:buyer-window")


def test_a_recipient_company_with_its_legal_form_glued_in_lower_case() -> None:
    result = invoice(
        [
            line("BRIGHTWELL", 0.044, x0=0.66, x1=0.91),
            line("Invoice", 0.124, x0=0.54, x1=0.63),
            line("InvoiceNo.", 0.149, x0=0.55, x1=0.63),
            line("9064046531", 0.149, x0=0.83, x1=0.91),
            line("HollowbrookSystemsplc", 0.164, x0=0.09, x1=0.27),
            line("Invoice date", 0.164, x0=0.55, x1=0.64),
            line("10/03/2025", 0.164, x0=0.84, x1=0.91),
            line("53MillLane", 0.181, x0=0.09, x1=0.18),
            line("Leeds", 0.195, x0=0.08, x1=0.13),
            line("LS14DY", 0.208, x0=0.08, x1=0.14),
            line("www.brightwell.co.uk", 0.95, x0=0.08, x1=0.3),
        ]
    )
    assert value(result, "customer_name") == "Hollowbrook Systemsplc"
    assert value(result, "vendor_name") == "BRIGHTWELL"  # the only trace of the issuer, weak


def test_a_person_ocr_glued_is_the_recipient_and_the_sellers_logo_is_not() -> None:
    result = invoice(
        [
            line("Nordwind Energie e.K.", 0.04, x0=0.6, x1=0.9),
            line("NordWind", 0.054, x0=0.1, x1=0.3, height=0.027),  # the seller's logo
            line("Hafenkade 7", 0.083, x0=0.1, x1=0.3),
            line("20457 Hamburg", 0.1, x0=0.1, x1=0.3),
            line("JonasVoigtlander", 0.146, x0=0.06, x1=0.25),
            line("Schillerstraße 17", 0.162, x0=0.06, x1=0.25),
            line("70173 Stuttgart", 0.178, x0=0.06, x1=0.25),
        ]
    )
    buyer = result.fields["customer_name"]
    assert (buyer.value, buyer.method) == ("Jonas Voigtlander", "party:buyer-window")


def test_the_sellers_name_printed_again_with_an_ocr_slip_is_no_recipient() -> None:
    result = invoice(
        [
            line("Brighwell Sotware Limited", 0.058, x0=0.6, x1=0.9, height=0.027),
            line("BrightwellSoftwareLimited", 0.119, x0=0.12, x1=0.35),
            line("78 Grand Canal Quay", 0.135, x0=0.12, x1=0.35),
            line("Dublin 2, D02 X285", 0.15, x0=0.12, x1=0.35),
            line("Kestrel Consulting Limited", 0.17, x0=0.55, x1=0.85),
            line("67 Fitzwilliam Lane", 0.186, x0=0.55, x1=0.85),
            line("Cork T12 K8AF", 0.2, x0=0.55, x1=0.85),
        ]
    )
    assert value(result, "customer_name") == "Kestrel Consulting Limited"
