"""The tokenizer on the odd files real senders write."""

import io

import pytest

from edi837.errors import X12SyntaxError
from edi837.x12.tokenizer import SegmentReader

ISA = (
    "ISA*00*          *00*          *ZZ*SUBMITTER01    *ZZ*RECEIVER01     *261102*1200*^*"
    "00501*000000001*0*P*:~"
)
BODY = "GS*HC*S*R*20261102*1200*1*X*005010X222A1~ST*837*0001~SE*2*0001~GE*1*1~IEA*1*000000001~"


def read(data: bytes, chunk: int = 1 << 20):
    reader = SegmentReader(io.BytesIO(data), name="f.837", chunk_size=chunk)
    return list(reader), reader.notes


def test_isa_is_106_characters():
    assert len(ISA) == 106


@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 1 << 20])
def test_offsets_point_at_segment_ids_at_any_chunk_size(chunk):
    data = ("\ufeff" + ISA + "\r\n" + BODY.replace("~", "~\r\n  ")).encode()
    segs, notes = read(data, chunk)
    assert [s.id for s in segs] == ["ISA", "GS", "ST", "SE", "GE", "IEA"]
    for s in segs:
        assert data[s.offset : s.offset + len(s.id)] == s.id.encode()
    assert [s.ordinal for s in segs] == [1, 2, 3, 4, 5, 6]
    assert any(n.code == "BOM" for n in notes)


def test_separators_come_from_the_isa():
    isa = ISA.replace("*", "|").replace(":", ">").replace("^", "!").replace("~", "\n")
    body = BODY.replace("*", "|").replace("~", "\n")
    segs, _ = read((isa + body).encode())
    assert segs[1].elements[:3] == ["GS", "HC", "S"]
    assert segs[0].separators.component == ">" and segs[0].separators.repetition == "!"
    assert str(segs[1]) == "GS|HC|S|R|20261102|1200|1|X|005010X222A1\n"


def test_badly_padded_isa_reads_by_counting_separators():
    isa = ISA.replace("SUBMITTER01    ", "SUBMITTER01")
    segs, notes = read((isa + BODY).encode())
    assert segs[1].id == "GS"
    assert any(n.code == "ISA_PADDING" for n in notes)


def test_isaac_is_a_name_not_an_interchange():
    body = BODY.replace("ST*837*0001~", "ST*837*0001~NM1*IL*1*ISAAC*ANNA~ISAAC~")
    segs, _ = read((ISA + body).encode())
    assert [s.id for s in segs].count("ISA") == 1
    assert segs[3].elements[3] == "ISAAC"


def test_stray_empty_segment_is_skipped_and_noted():
    segs, notes = read((ISA + BODY.replace("ST*837*0001~", "ST*837*0001~~")).encode())
    assert [s.id for s in segs][:4] == ["ISA", "GS", "ST", "SE"]
    assert [n.code for n in notes] == ["EMPTY_SEGMENT"]


def test_two_interchanges_with_different_separators():
    second = ISA.replace("*", "|").replace("~", "'").replace(
        "000000001", "000000002"
    ) + BODY.replace("*", "|").replace("~", "'").replace("000000001", "000000002")
    segs, _ = read((ISA + BODY + "\n" + second).encode())
    assert [s.id for s in segs].count("ISA") == 2
    assert segs[-1].elements == ["IEA", "1", "000000002"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"   \n\n", "empty file"),
        (b"order_id,member_id\n1,2\n", "not an X12 interchange"),
        (b"ISA*00*short~", "fewer than 16 element separators"),
        (b"\x00\x01\x02" * 400, "binary data"),
        ((ISA + BODY).encode("utf-16-le"), "UTF-16 text"),  # a Windows "Unicode" save
        ((ISA + BODY).encode("utf-16"), "UTF-16 text"),  # with its byte-order mark
        ((ISA + BODY).encode("utf-16-be"), "UTF-16 text"),
    ],
)
def test_unreadable_inputs_raise_with_position(data, message):
    with pytest.raises(X12SyntaxError) as exc:
        read(data)
    assert message in str(exc.value)
    assert str(exc.value).startswith("f.837:seg ")
    assert " @" in str(exc.value)


def test_last_segment_without_terminator_is_read_and_noted():
    segs, notes = read((ISA + BODY[:-1]).encode())
    assert segs[-1].elements == ["IEA", "1", "000000001"]
    assert any(n.code == "NO_TERMINATOR" for n in notes)


def test_wrapped_lines_inside_segments_are_joined():
    wrapped = BODY.replace("GS*HC*S*R*", "GS*HC*S*\nR*")
    segs, notes = read((ISA + wrapped).encode())
    assert segs[1].elements[3] == "R"
    assert any(n.code == "WRAPPED" for n in notes)


def test_concatenated_files_each_with_a_bom():
    second = ISA.replace("000000001", "000000002") + BODY.replace("000000001", "000000002")
    data = ("\ufeff" + ISA + BODY + "\n\ufeff" + second).encode()
    segs, notes = read(data)
    assert [s.id for s in segs].count("ISA") == 2
    assert [n.code for n in notes] == ["BOM", "BOM"]
    for s in segs:
        assert data[s.offset : s.offset + len(s.id)] == s.id.encode()


def test_ctrl_z_after_the_last_interchange_is_padding_not_data():
    segs, notes = read((ISA + BODY + "\r\n\x1a").encode())
    assert segs[-1].id == "IEA"
    assert [n.code for n in notes] == ["TRAILING_PADDING"]


@pytest.mark.parametrize("chunk", [7, 64, 1 << 20])
def test_text_after_the_last_interchange_is_noted_not_fatal(chunk):
    # A mail footer or transfer log appended after IEA: the interchange before it is
    # complete, so its claims are read and the text is reported, not a refusal.
    data = (ISA + BODY + "\r\n-- sent by the practice's EDI gateway --\r\n").encode()
    segs, notes = read(data, chunk)
    assert segs[-1].id == "IEA"
    assert [n.code for n in notes] == ["TRAILING_TEXT"]
    assert notes[0].offset == data.index(b"-- sent")


@pytest.mark.parametrize("chunk", [*range(1, 12), 64, 1 << 20])
def test_segments_after_an_iea_are_read_up_to_the_next_isa(chunk):
    # A stray STC, or a group whose ISA was lost, after a complete interchange: read
    # with that interchange's separators (the envelope then reports each where it is),
    # and an ISA with other separators after them starts the next interchange.
    second = ISA.replace("*", "|").replace("~", "'").replace(
        "000000001", "000000002"
    ) + BODY.replace("*", "|").replace("~", "'").replace("000000001", "000000002")
    stray = "STC*A1:20*20261102~\nGS*HC*S*R~ST*837*0002~ISAAC*X~\n"
    data = (ISA + BODY + stray + second).encode()
    segs, notes = read(data, chunk)
    ids = [s.id for s in segs]
    assert ids[5:11] == ["IEA", "STC", "GS", "ST", "ISAAC", "ISA"]
    assert segs[-1].elements == ["IEA", "1", "000000002"]
    assert segs[6].elements == ["STC", "A1:20", "20261102"]
    for seg in segs:
        assert data[seg.offset : seg.offset + len(seg.id)] == seg.id.encode()
    assert notes == []


def test_a_long_unterminated_tail_after_iea_is_one_segment():
    # Too long for a footer: read as a (terminator-less) segment, which the envelope
    # reports as outside an interchange; nothing after an IEA disappears unreported.
    data = (ISA + BODY + "X*" + "Y" * (65 << 10)).encode()
    segs, notes = read(data)
    assert segs[-1].id == "X" and segs[-1].offset == len(ISA + BODY)
    assert [n.code for n in notes] == ["NO_TERMINATOR"]
