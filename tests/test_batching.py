import random

import numpy as np

from nerpipe.batching import CharFeatureCache, make_batch
from nerpipe.vocab import Vocab


def test_a_batch_encodes_every_token_as_training_and_tagging_each_would():
    """make_batch works per distinct token (and per sentence with numpy): each real cell
    holds what the per-token encoders give, the sentence's casing included, with and
    without the tagger's cache and with the ids a training batch passes in."""
    rng = random.Random(5)
    words = ["Anna", "anna", "ANNA", "Berg", "flew", "to", "Oslo", "3-1", ".", "iPhone", "ÉLAN", "σας", "ΣΑΣ", "-"]
    sentences = [[rng.choice(words) for _ in range(rng.randint(1, 9))] for _ in range(60)]
    sentences += [["OMG", "ANNA", "WON"], ["omg", "anna", "won"], ["Anna", "Wins", "Oslo", "Cup"], ["Oslo"], ["3-1"]]
    for sentence_case in (False, True):
        vocab = Vocab(["<pad>", "<unk>", "anna", "oslo", "flew"], 5, ["<pad>", "<unk>", *"AaNnOo"], ["O", "S-X"],
                      sentence_case=sentence_case)
        cache = CharFeatureCache()
        given = make_batch(sentences, vocab, [np.array([vocab.word_id(t) for t in s]) for s in sentences],
                           [np.array(vocab.casing_ids(s)) for s in sentences])
        for batch in (make_batch(sentences, vocab), make_batch(sentences, vocab, cache=cache), given):
            for row, tokens in enumerate(sentences):
                n = len(tokens)
                assert batch.casings[row, :n].tolist() == vocab.casing_ids(tokens), (sentence_case, tokens)
                assert batch.words[row, :n].tolist() == [vocab.word_id(t) for t in tokens]
                assert not batch.mask[row, n:].any() and batch.mask[row, :n].all()
        assert {tuple(r) for r in make_batch(sentences, vocab).casings.tolist()} != \
            {tuple(r) for r in make_batch([[t.upper() for t in s] for s in sentences], vocab).casings.tolist()}


def test_decomposed_and_composed_spellings_are_one_word_in_training_and_tagging():
    """A model trained on decomposed text (NFD) and tagging composed text, or the other way:
    every id (word, characters, casing) is read from the composed form on both sides."""
    import unicodedata

    nfd, nfc = (unicodedata.normalize(form, "Zürich") for form in ("NFD", "NFC"))
    for written in (nfd, nfc):
        vocab, _ = Vocab.build([[written, "flew"]] * 3, ["O"])
        assert vocab.word_id(nfd) == vocab.word_id(nfc) > 1  # not the unknown word
        assert vocab.char_ids(nfd) == vocab.char_ids(nfc) and 1 not in vocab.char_ids(nfd)
        assert vocab.encode(nfd) == vocab.encode(nfc) == (vocab.word_id(written), *vocab.encode(written)[1:])
        assert vocab.casing_ids([nfd, "flew"]) == vocab.casing_ids([nfc, "flew"])
        batch = make_batch([[nfd, "flew"]], vocab, [np.array([vocab.word_id(nfd), vocab.word_id("flew")])],
                           [np.array(vocab.casing_ids([nfd, "flew"]))])
        assert batch.words.tolist() == make_batch([[nfc, "flew"]], vocab).words.tolist()


def test_invisible_characters_leave_a_word_as_it_is():
    vocab, _ = Vocab.build([["Merkel", "flew"]] * 3, ["O"])
    for spelt in ("Mer\u00adkel", "\u200eMerkel", "Mer\u200bkel", "Mer\u2060kel\ufeff"):
        assert vocab.encode(spelt) == vocab.encode("Merkel"), spelt
    assert vocab.word_id("\u200b") == 1 and vocab.char_ids("\u200b") == [1]  # invisibles alone: kept, unknown
    # the zero-width (non-)joiners are letters' business in Persian and Indic scripts: kept, as word vectors spell them
    persian = "می\u200cخواهم"
    vocab, _ = Vocab.build([[persian]], ["O"], pretrained=[persian], keep_pretrained=10)
    assert vocab.words[vocab.word_id(persian)] == persian and vocab.word_id(persian) != vocab.word_id("میخواهم")
