import numpy as np

from nerpipe.lexicon import MAX_ENTRY_TOKENS, Lexicon, cross_fold_features

TYPES = ["LOC", "ORG", "PER"]
B, I, E, S = range(4)


def bit(label, position):
    return 1 << (TYPES.index(label) * 4 + position)


def lexicon():
    return Lexicon.build(
        [
            (["New", "York", "City", "is", "big"], ["B-LOC", "I-LOC", "I-LOC", "O", "O"]),
            (["New", "York", "won"], ["B-ORG", "I-ORG", "O"]),
            (["Smith", "met", "Ann", "Lee"], ["S-PER", "O", "B-PER", "E-PER"]),  # IOBES reads as well
        ],
        TYPES,
    )


def test_bits_mark_position_and_type_of_every_covering_entry():
    got = lexicon().match(["in", "NEW", "york", "City", ",", "smith"])
    assert got.tolist() == [
        0,
        bit("LOC", B) | bit("ORG", B),
        bit("LOC", I) | bit("ORG", E),
        bit("LOC", E),
        0,
        bit("PER", S),
    ]


def test_matches_whole_tokens_only():
    lx = lexicon()
    assert lx.match(["Yorkshire", "Smithson", "New"]).tolist() == [0, 0, 0]
    assert lx.match([]).tolist() == []


def test_long_entries_are_left_out():
    long_name = [f"w{k}" for k in range(MAX_ENTRY_TOKENS + 1)]
    lx = Lexicon.build([(long_name, ["B-ORG"] + ["I-ORG"] * MAX_ENTRY_TOKENS)], TYPES)
    assert len(lx) == 0 and not lx.match(long_name).any()


def test_round_trip():
    lx = lexicon()
    again = Lexicon.from_dict(lx.to_dict())
    assert again == lx and again.prefixes == lx.prefixes
    assert Lexicon.from_dict(Lexicon(TYPES).to_dict()) == Lexicon(TYPES)


def test_cross_fold_features_never_see_their_own_fold():
    # "Zork" is an entity only in the first sentence; "Paris" in all of them
    sentences = [(["Zork", "in", "Paris"], ["B-ORG", "O", "B-LOC"])] + [(["Paris"], ["B-LOC"])] * 9
    bits = cross_fold_features(sentences, TYPES, folds=5)
    assert bits[0].tolist() == [0, 0, bit("LOC", S)]
    assert all(b.tolist() == [bit("LOC", S)] for b in bits[1:])
    assert all(isinstance(b, np.ndarray) and b.dtype == np.int64 for b in bits)


def test_a_name_matches_in_either_unicode_form():
    import unicodedata

    from nerpipe.lexicon import Lexicon

    nfd, nfc = (unicodedata.normalize(form, "Zürich") for form in ("NFD", "NFC"))
    for written, read in ((nfd, nfc), (nfc, nfd)):
        lexicon = Lexicon.build([([written, "Airport"], ["B-LOC", "I-LOC"])], ["LOC"])
        assert lexicon.match([read, "Airport"]).tolist() == lexicon.match([written, "Airport"]).tolist() != [0, 0]
