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
