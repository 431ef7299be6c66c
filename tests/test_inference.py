import random

import synthetic
import dataclasses

from nerpipe.batching import CharFeatureCache
from nerpipe.checkpoints import load_model


def test_char_feature_cache_changes_nothing(tiny_model):
    loaded = load_model(tiny_model)
    rng = random.Random(3)
    sentences = [tokens for tokens, _ in synthetic.sentences(300, seed=11)]
    sentences += [[rng.choice(["Zq", "Anna", "x" * 40, "Ølm", "."]) for _ in range(rng.randint(1, 30))] for _ in range(50)]
    loaded.batch_size = 16
    plain = dataclasses.replace(loaded, cache=None).predict(sentences, scores=True)
    for capacity in (10, 100_000):  # 10: the cache starts afresh many times
        tagger = dataclasses.replace(loaded, cache=CharFeatureCache(capacity))
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
