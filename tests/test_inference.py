import dataclasses
import random

import pytest
import synthetic

from nerpipe.checkpoints import load_model

pytestmark = pytest.mark.slow  # every test loads tiny_model, which trains one


def test_char_feature_cache_changes_nothing(tiny_model):
    loaded = load_model(tiny_model)
    rng = random.Random(3)
    sentences = [tokens for tokens, _ in synthetic.sentences(300, seed=11)]
    sentences += [[rng.choice(["Zq", "Anna", "x" * 40, "Ølm", "."]) for _ in range(rng.randint(1, 30))] for _ in range(50)]
    loaded.batch_size = 16
    plain = dataclasses.replace(loaded, char_cache=False).predict(sentences, scores=True)
    for capacity in (10, 100_000):  # 10: the cache starts afresh many times
        tagger = dataclasses.replace(loaded)  # a new Tagger: a cache of its own
        tagger.cache.capacity = capacity
        for start in range(0, len(sentences), 70):  # several calls share the cache
            part = sentences[start : start + 70]
            cached = tagger.predict(part, scores=True)
            for a, b in zip(plain[start : start + 70], cached):
                assert a.tags == b.tags and a.spans == b.spans
                assert all(abs(x - y) < 1e-5 for x, y in zip(a.scores, b.scores))


def test_tagger_keeps_its_cache_bounded(tiny_model):
    tagger = load_model(tiny_model)
    tagger.cache.capacity = 50
    for n in range(20):
        tagger.predict([[f"w{n}_{k}" for k in range(30)]])
        assert len(tagger.cache.rows) <= 50 + 30


def test_an_interrupted_or_concurrent_predict_leaves_the_tagger_working(tiny_model, monkeypatch):
    import threading

    tagger = load_model(tiny_model)
    cut_short = ["Qq", "Zz", "flew", "to", "Oslo"]  # new tokens: predict reserves cache rows for them
    sentences = [tokens for tokens, _ in synthetic.sentences(200, seed=4)]
    uncached = dataclasses.replace(tagger, char_cache=False)
    again = uncached.predict([cut_short], scores=True)[0]
    expected = [p.tags for p in uncached.predict(sentences)]
    calls = {"n": 0}
    real = tagger.network.chain

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt  # after make_batch reserved the cache's rows
        return real(*args, **kwargs)

    monkeypatch.setattr(tagger.network, "chain", interrupted)
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C reaches the caller, not swallowed
        tagger.predict([cut_short])
    assert calls["n"] == 1  # it came from the network, after the rows were reserved
    # the sentence cut short, tagged again, and everything after: as a tagger without a cache tags them
    [retried] = tagger.predict([cut_short], scores=True)
    assert (retried.tags, retried.spans) == (again.tags, again.spans)
    assert retried.scores == pytest.approx(again.scores, abs=1e-5)
    assert [p.tags for p in tagger.predict(sentences)] == expected
    results = [None] * 4

    def work(k):
        results[k] = [p.tags for p in tagger.predict(sentences[k::4])]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(4):
        assert results[k] == expected[k::4]


def test_a_new_tagger_never_shares_its_cache(tiny_model):
    tagger = load_model(tiny_model)
    tagger.predict([["Anna", "Berg"]])
    other = dataclasses.replace(tagger)
    assert other.cache is not tagger.cache and not other.cache.rows


def test_on_a_gpu_each_batch_is_read_back_while_the_next_runs_and_nothing_changes(tiny_model, monkeypatch):
    from nerpipe.tagger import Tagger

    tagger = load_model(tiny_model)
    tagger.batch_size = 16
    sentences = [tokens for tokens, _ in synthetic.sentences(70, seed=12)] + [[]]  # 5 batches and an empty sentence
    steps = []
    for name in ("_launch", "_finish"):
        real = getattr(Tagger, name)

        def recorded(self, *args, _real=real, _name=name, **kwargs):
            steps.append(_name)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(Tagger, name, recorded)
    alone = tagger.predict(sentences, scores=True, uncertainty=True)
    assert steps == ["_launch", "_finish"] * 5  # the CPU: each batch done before the next is made
    steps.clear()
    monkeypatch.setattr(Tagger, "_in_flight", 1)  # what a CUDA device gets
    overlapped = tagger.predict(sentences, scores=True, uncertainty=True)
    assert steps == ["_launch"] + ["_launch", "_finish"] * 4 + ["_finish"]
    assert overlapped == alone
    assert overlapped[-1].spans == [] and len(overlapped) == 71


def test_decoding_by_scan_as_a_gpu_does_gives_the_loops_predictions(tiny_model, monkeypatch):
    import nerpipe.model

    tagger = load_model(tiny_model)
    tagger.batch_size = 16
    sentences = [tokens for tokens, _ in synthetic.sentences(70, seed=13)] + [[], ["Paris"]]
    calls = []
    for name in ("viterbi_scan", "marginals_scan"):
        real = getattr(nerpipe.model, name)
        monkeypatch.setattr(nerpipe.model, name, lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a))
    looped = tagger.predict(sentences, scores=True, uncertainty=True)
    assert calls == []  # the CPU loops by default
    monkeypatch.setattr(nerpipe.model, "DECODING", "scan")
    scanned = tagger.predict(sentences, scores=True, uncertainty=True)
    assert set(calls) == {"viterbi_scan", "marginals_scan"}
    assert [p.tags for p in scanned] == [p.tags for p in looped]
    for a, b in zip(scanned, looped):
        assert a.scores == pytest.approx(b.scores, abs=1e-6)
        assert a.token_entropy == pytest.approx(b.token_entropy, abs=1e-6)
        assert a.log_prob == pytest.approx(b.log_prob, abs=1e-6)
