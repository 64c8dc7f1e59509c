"""Kinds of seller-address failure on invoices: another block's text glued to the address
(the buyer's address beside a centred letterhead, a right-hand column on the same lines), a
one-line address whose separators OCR read without their spaces, and a sender line over the
address window read as more of the letterhead's address."""

from __future__ import annotations

from extractors.fieldmap.layout import Cell
from extractors.fieldmap.seller_address import in_column
from tests.extractors.fieldmap.lines import invoice, line, value


def test_buyer_block_beside_a_centred_letterhead_is_not_its_address() -> None:
    # a centred hotel letterhead whose address line OCR lost; under it, left and right, the
    # guest's company and the folio's details: neither is the hotel's address
    result = invoice(
        [
            line("HOTEL DU PLESSIS SARL", 0.05, x0=0.3, x1=0.67, height=0.026),
            line("Lavergne Conseil SARL", 0.155, x0=0.07, x1=0.25),
            line("Client", 0.155, x0=0.56, x1=0.6),
            line("Elodie Girard", 0.155, x0=0.7, x1=0.8),
            line("55 boulevard du Midi", 0.172, x0=0.07, x1=0.21),
            line("13002 MARSEILLE", 0.189, x0=0.07, x1=0.21),
            line("Chambre", 0.189, x0=0.54, x1=0.61),
            line("650", 0.189, x0=0.7, x1=0.73),
        ]
    )
    assert value(result, "vendor_name") == "HOTEL DU PLESSIS SARL"
    address = value(result, "vendor_address")
    assert address is None or "Midi" not in str(address)


def test_right_hand_column_on_the_address_lines_is_left_out() -> None:
    # the seller's block at the left, "Bill to" and the buyer's block at the right of the same
    # lines, OCR reading each line as one with wide gaps
    result = invoice(
        [
            line("Invoice", 0.05, x0=0.14, x1=0.24, height=0.022),
            line("Oakridge Systems Ltd     Bill to", 0.25, x0=0.14, x1=0.43),
            line("139 Orchard Close        Fernley Print Ltd", 0.265, x0=0.14, x1=0.5),
            line("Bristol                  36 Church Walk", 0.28, x0=0.14, x1=0.49),
            line("BS1 5TR                  Nottingham", 0.295, x0=0.14, x1=0.46),
            line("United Kingdom           NG1 6FD", 0.31, x0=0.14, x1=0.45),
            line("invoices@oakridge.co.uk", 0.325, x0=0.14, x1=0.3),
        ]
    )
    assert value(result, "vendor_name") == "Oakridge Systems Ltd"
    assert value(result, "vendor_address") == "139 Orchard Close, Bristol, BS1 5TR, United Kingdom"


def test_one_line_address_with_glued_separators_is_cut_into_its_parts() -> None:
    # "street 111 - postcode town - phone" as OCR reads it without the spaces round the dashes
    result = invoice(
        [
            line("Hotel Bruckmann AG", 0.13, x0=0.31, x1=0.65, height=0.025),
            line("Hafenstraße 111-50667Köln-+49711579394", 0.155, x0=0.35, x1=0.61),
            line("Rechnungsempfänger", 0.2, x0=0.08, x1=0.21),
            line("Rechnungs-Nr.", 0.2, x0=0.55, x1=0.64),
            line("122457", 0.2, x0=0.69, x1=0.73),
            line("Wettering Elektrotechnik AG", 0.213, x0=0.08, x1=0.29),
        ]
    )
    assert value(result, "vendor_name") == "Hotel Bruckmann AG"
    assert value(result, "vendor_address") == "Hafenstraße 111, 50667 Köln"


def test_registration_glued_to_the_street_is_cut_off() -> None:
    # "CIF ... · street, number . postcode town" with no spaces round the separators
    result = invoice(
        [
            line("Peñaflor Distribuciones S.L.", 0.03, x0=0.09, x1=0.53, height=0.03),
            line("CIFB34411971·Calle Mayor,148.48001Bilba0", 0.06, x0=0.09, x1=0.41),
            line("+34930215529-info@penaflor.es", 0.077, x0=0.09, x1=0.32),
        ]
    )
    address = str(value(result, "vendor_address"))
    assert "B34411971" not in address
    assert address.endswith("48001 Bilbao")


def test_sender_line_under_the_letterhead_ends_its_address() -> None:
    # the letterhead's address line, then the sender line over the window repeating it
    result = invoice(
        [
            line("Weidenau Maschinenbau GmbH", 0.054, x0=0.12, x1=0.56, height=0.023),
            line("Im Wiesengrund 107 · 70173 Stuttgart", 0.079, x0=0.12, x1=0.46),
            line("Weidenau Maschinenbau GmbH - Im Wiesengrund 107 - 70173 Stuttgart", 0.1, x0=0.12, x1=0.48),
            line("Steinbrück Bürotechnik GmbH", 0.188, x0=0.12, x1=0.34),
        ]
    )
    assert value(result, "vendor_address") == "Im Wiesengrund 107, 70173 Stuttgart"


def test_cells_in_a_column_keep_the_way_the_block_is_aligned() -> None:
    name = Cell("Hotel Bruckmann AG", 0.31, 0.1, 0.65, 0.12, 1.0)
    centred = Cell("Hafenstraße 111", 0.39, 0.13, 0.57, 0.14, 1.0)
    details = Cell("Rechnungs-Nr.", 0.55, 0.15, 0.64, 0.16, 1.0)
    cells, modes = in_column([centred], name, 0.015)
    assert cells == (centred,) and modes == frozenset({"centre"})
    # a label whose right edge happens to meet the name's is not in a centred block
    assert in_column([details], name, 0.015, modes) == ((), frozenset())
    # an address line OCR cut in two stays whole; a cell across a column gap does not join
    street = Cell("Calle Mayor, 42", 0.31, 0.13, 0.42, 0.14, 1.0)
    town = Cell("46002 Valencia", 0.435, 0.13, 0.53, 0.14, 1.0)
    beside = Cell("Factura n°", 0.7, 0.13, 0.8, 0.14, 1.0)
    assert in_column([street, town, beside], name, 0.015)[0] == (street, town)


def test_registered_office_in_the_footer_sentence_is_the_sellers_address() -> None:
    # a spaced wordmark on top, the legal name and its registered office only in the footer
    result = invoice(
        [
            line("B L U E F E L L", 0.049, x0=0.06, x1=0.3, height=0.032),
            line("SALES INVOICE", 0.11, x0=0.06, x1=0.23, height=0.02),
            line("Invoice To", 0.14, x0=0.07, x1=0.14),
            line("Marlowe Digital plc", 0.155, x0=0.07, x1=0.2),
            line("171 Victoria Parade", 0.17, x0=0.07, x1=0.21),
            line(
                "Bluefell Logistics plc. Registered in England & Wales No. 10144770. Registered office: "
                "160 Ashgrove Road, Leeds, LS1 4DY. VAT Reg No. GB 676 4112 63",
                0.944,
                x0=0.06,
                x1=0.87,
                height=0.011,
            ),
        ]
    )
    assert value(result, "vendor_address") == "160 Ashgrove Road, Leeds, LS1 4DY"


def test_address_column_beside_a_tall_name_starts_above_its_baseline() -> None:
    # a freelancer's name in large type at the left; the address block at the right starts a
    # line higher than the name's baseline (OCR reads the name's line with the town beside it)
    result = invoice(
        [
            line("8062 Commerce Drive, Suite 910", 0.076, x0=0.72, x1=0.92, height=0.019),
            line("James Fairbanks" + " " * 21 + "Denver, CO 80202", 0.065, x0=0.11, x1=0.92, height=0.044),
            line("hello@fairbanks.com", 0.104, x0=0.79, x1=0.92, height=0.017),
            line("Invoice", 0.166, x0=0.11, x1=0.2, height=0.024),
        ]
    )
    assert value(result, "vendor_name") == "James Fairbanks"
    assert value(result, "vendor_address") == "8062 Commerce Drive, Suite 910, Denver, CO 80202"


def test_receipt_address_lines_centred_unevenly_stay_one_block() -> None:
    # a receipt's header: the name centred, its address lines each alone on its line but
    # not centred alike (the second line sits at the first one's left edge)
    result = invoice(
        [
            line("MOONLIGHT CAKE HOUSE SDN BHD 862725-U", 0.177, x0=0.33, x1=0.6, height=0.017),
            line("(GST Reg No: 001559298048)", 0.19, x0=0.37, x1=0.56),
            line("No.1, Jalan Permas 10/5, Bandar Baru Permas Jaya", 0.205, x0=0.29, x1=0.64),
            line("81750 Johor Bahru, Johor.", 0.222, x0=0.31, x1=0.49),
            line("www.moonlightcake.com", 0.238, x0=0.39, x1=0.55),
        ]
    )
    assert value(result, "vendor_address") == (
        "No.1, Jalan Permas 10/5, Bandar Baru Permas Jaya, 81750 Johor Bahru, Johor."
    )
