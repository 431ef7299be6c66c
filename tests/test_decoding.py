import itertools
import math

import pytest
import torch
import torchcrf
from torch.utils._python_dispatch import TorchDispatchMode

import nerpipe.decoding
from nerpipe.decoding import (
    FORBIDDEN,
    log_partition,
    marginals,
    marginals_scan,
    path_score,
    scan_size,
    sequence_log_prob,
    token_entropy,
    transition_penalties,
    viterbi,
    viterbi_scan,
)
from nerpipe.schemes import Scheme, is_transition_allowed, scheme_tags


def brute_force(emissions, transitions, start, end):
    """Every path of one sequence: the best one and the normaliser."""
    n, k = emissions.shape
    best, best_path, scores = None, None, {}
    for path in itertools.product(range(k), repeat=n):
        s = start[path[0]] + emissions[0, path[0]] + end[path[-1]]
        for t in range(1, n):
            s = s + transitions[path[t - 1], path[t]] + emissions[t, path[t]]
        scores[path] = s
        if best is None or s > best:
            best, best_path = s, path
    return best_path, scores


@pytest.mark.parametrize("seed", range(5))
def test_viterbi_and_marginals_match_brute_force(seed):
    g = torch.Generator().manual_seed(seed)
    k, lengths = 3, [4, 2, 1]
    emissions = torch.randn(len(lengths), max(lengths), k, generator=g)
    transitions, start, end = torch.randn(k, k, generator=g), torch.randn(k, generator=g), torch.randn(k, generator=g)
    mask = torch.arange(max(lengths))[None, :] < torch.tensor(lengths)[:, None]
    paths = viterbi(emissions, mask, transitions, start, end)
    probs = marginals(emissions, mask, transitions, start, end)
    for b, n in enumerate(lengths):
        best, scores = brute_force(emissions[b, :n], transitions, start, end)
        assert tuple(paths[b, :n].tolist()) == best
        z = torch.logsumexp(torch.stack(list(scores.values())), 0)
        for t in range(n):
            for tag in range(k):
                expected = torch.logsumexp(torch.stack([s for p, s in scores.items() if p[t] == tag]), 0) - z
                assert probs[b, t, tag].item() == pytest.approx(expected.exp().item(), abs=1e-5)


@pytest.mark.parametrize("seed", range(5))
def test_sequence_log_prob_and_entropy_match_brute_force(seed):
    g = torch.Generator().manual_seed(seed)
    k, lengths = 3, [4, 2, 1]
    emissions = torch.randn(len(lengths), max(lengths), k, generator=g, dtype=torch.float64)
    transitions, start, end = (torch.randn(*shape, generator=g, dtype=torch.float64) for shape in ((k, k), (k,), (k,)))
    mask = torch.arange(max(lengths))[None, :] < torch.tensor(lengths)[:, None]
    paths = torch.randint(0, k, (len(lengths), max(lengths)), generator=g)  # any path, not only the best
    log_probs = sequence_log_prob(emissions, mask, transitions, start, end, paths)
    entropy = token_entropy(marginals(emissions, mask, transitions, start, end), mask)
    for b, n in enumerate(lengths):
        _, scores = brute_force(emissions[b, :n], transitions, start, end)
        z = torch.logsumexp(torch.stack(list(scores.values())), 0)
        assert log_probs[b].item() == pytest.approx((scores[tuple(paths[b, :n].tolist())] - z).item(), abs=1e-9)
        for t in range(n):
            p = torch.stack([torch.logsumexp(torch.stack([s for q, s in scores.items() if q[t] == tag]), 0) - z
                             for tag in range(k)]).exp()
            assert entropy[b, t].item() == pytest.approx(-(p * p.log()).sum().item(), abs=1e-6)
        assert entropy[b, n:].abs().sum().item() == 0


@pytest.mark.parametrize("lengths", [[4, 2, 1], [1], [2, 2], [3, 1, 3]])
def test_log_partition_and_path_score_match_brute_force(lengths):
    g = torch.Generator().manual_seed(len(lengths) * 10 + max(lengths))
    k = 3
    emissions = torch.randn(len(lengths), max(lengths), k, generator=g, dtype=torch.float64)
    transitions, start, end = (torch.randn(*shape, generator=g, dtype=torch.float64) for shape in ((k, k), (k,), (k,)))
    transitions[0, 2] = FORBIDDEN
    mask = torch.arange(max(lengths))[None, :] < torch.tensor(lengths)[:, None]
    paths = torch.randint(0, k, (len(lengths), max(lengths)), generator=g)
    log_z = log_partition(emissions, mask, transitions, start, end)
    scores_of_paths = path_score(emissions, mask, transitions, start, end, paths)
    for b, n in enumerate(lengths):
        _, scores = brute_force(emissions[b, :n], transitions, start, end)
        assert log_z[b].item() == pytest.approx(torch.logsumexp(torch.stack(list(scores.values())), 0).item(), abs=1e-9)
        assert scores_of_paths[b].item() == pytest.approx(scores[tuple(paths[b, :n].tolist())].item(), abs=1e-9)


def crf_batch(batch: int, seq_len: int, k: int, seed: int = 0):
    """A constrained-looking CRF (some transitions forbidden) and a padded batch whose first row is full length."""
    g = torch.Generator().manual_seed(seed)
    crf = torchcrf.CRF(k, batch_first=True)
    with torch.no_grad():
        crf.transitions[torch.rand(k, k, generator=g) < 0.3] = FORBIDDEN
    lengths = torch.randint(1, seq_len + 1, (batch,), generator=g)
    lengths[0] = seq_len
    mask = torch.arange(seq_len)[None, :] < lengths[:, None]
    emissions = (3 * torch.randn(batch, seq_len, k, generator=g)).requires_grad_()
    tags = torch.randint(0, k, (batch, seq_len), generator=g) * mask
    return crf, emissions, tags, mask


def scan_loss(crf, emissions, tags, mask):
    scores = crf.transitions, crf.start_transitions, crf.end_transitions
    return (log_partition(emissions, mask, *scores) - path_score(emissions, mask, *scores, tags)).mean()


@pytest.mark.parametrize("seq_len", [1, 2, 5, 17, 64])
def test_the_scan_loss_is_pytorch_crfs_loss_with_the_same_gradients(seq_len):
    crf, emissions, tags, mask = crf_batch(16, seq_len, 9, seed=seq_len)
    wrt = [emissions, crf.transitions, crf.start_transitions, crf.end_transitions]
    reference = -crf(emissions, tags, mask=mask, reduction="mean")
    ours = scan_loss(crf, emissions, tags, mask)
    assert ours.item() == pytest.approx(reference.item(), rel=1e-5)
    for x, a, b in zip(wrt, *(torch.autograd.grad(loss, wrt, allow_unused=True) for loss in (reference, ours))):
        a, b = (torch.zeros_like(x) if g is None else g for g in (a, b))  # one position: no transition used
        assert torch.isfinite(b).all()
        torch.testing.assert_close(b, a, atol=1e-5, rtol=1e-4)


class CountOps(TorchDispatchMode):
    """Counts the tensor operations dispatched (each one kernel launch, or more, on a GPU)."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.count += 1
        return func(*args, **(kwargs or {}))


def ops_of_loss_and_gradient(loss_of, seq_len: int) -> int:
    crf, emissions, tags, mask = crf_batch(8, seq_len, 9)
    with CountOps() as counted:
        loss_of(crf, emissions, tags, mask).backward()
    return counted.count


def test_the_scan_loss_takes_a_few_operations_whatever_the_length():
    def looped(crf, emissions, tags, mask):
        return -crf(emissions, tags, mask=mask, reduction="mean")

    short, long = ops_of_loss_and_gradient(scan_loss, 16), ops_of_loss_and_gradient(scan_loss, 128)
    assert long - short <= 3 * 25  # three more halvings, about 20 operations each (forward and backward)
    assert long * 10 < ops_of_loss_and_gradient(looped, 128)  # pytorch-crf's loop: several per position


def test_the_scan_reads_half_precision_in_float32():
    """float16 holds neither the identity's -1e30 nor a few forbidden scores summed."""
    crf, emissions, _, mask = crf_batch(4, 9, 5)
    scores = crf.transitions, crf.start_transitions, crf.end_transitions
    for dtype in (torch.float16, torch.bfloat16):
        low = log_partition(emissions.detach().to(dtype), mask, *(x.detach().to(dtype) for x in scores))
        assert low.dtype == torch.float32 and torch.isfinite(low).all()
        exact = log_partition(emissions.detach().to(dtype).float(), mask, *(x.detach().to(dtype).float() for x in scores))
        torch.testing.assert_close(low, exact)


def test_scan_size_counts_the_first_steps_numbers():
    emissions = torch.zeros(4, 6, 3)  # 5 matrices after the first position, padded to 8: 4 pairs
    assert scan_size(emissions) == 4 * 4 * 27
    assert scan_size(torch.zeros(4, 2, 3)) == 0  # one matrix: nothing to pair


def test_folded_tags_count_as_one_in_the_entropy():
    probs = torch.tensor([[[0.5, 0.25, 0.25], [0.2, 0.0, 0.8], [1.0, 0.0, 0.0]]])
    mask = torch.tensor([[True, True, False]])
    fold = torch.tensor([0, 1, 0])  # tag 2 counts as tag 0
    folded = token_entropy(probs, mask, fold)[0]
    assert folded[0].item() == pytest.approx(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)))
    assert folded[1].item() == pytest.approx(0.0, abs=1e-6)  # 0.2 and 0.8 of the same tag: no doubt
    assert folded[2].item() == 0  # past the end
    whole = token_entropy(probs, mask)[0]
    assert whole[1].item() == pytest.approx(-(0.2 * math.log(0.2) + 0.8 * math.log(0.8)))
    assert torch.equal(token_entropy(probs, mask, torch.arange(3))[0], whole)  # the identity folds nothing


@pytest.mark.parametrize("scheme", list(Scheme))
def test_constrained_decoding_never_emits_a_forbidden_pair(scheme):
    tags = scheme_tags(["PER", "LOC"], scheme)
    pairs, start, end = transition_penalties(tags, scheme)
    g = torch.Generator().manual_seed(0)
    emissions = torch.randn(64, 9, len(tags), generator=g) * 5
    mask = torch.arange(9)[None, :] < torch.randint(1, 10, (64, 1), generator=g)
    paths = viterbi(emissions, mask, pairs, start, end)
    for row, m in zip(paths, mask):
        seq = [tags[i] for i in row[: int(m.sum())].tolist()]
        path = [None, *seq, None]
        assert all(is_transition_allowed(scheme, a, b) for a, b in zip(path, path[1:])), seq
    assert pairs.min() == FORBIDDEN


def test_viterbi_rejects_bad_shapes():
    with pytest.raises(ValueError, match="expected emissions"):
        viterbi(torch.zeros(2, 3), torch.ones(2, 3, dtype=torch.bool), torch.zeros(3, 3), torch.zeros(3), torch.zeros(3))


def constrained_chain(seed: int, batch: int, seq_len: int, k: int):
    """Random scores with forbidden transitions and, in some rows, forbidden emissions (as
    a pattern's hint makes them); lengths from 1 to seq_len, the first row full."""
    g = torch.Generator().manual_seed(seed)
    emissions = (3 if seed % 2 else 15) * torch.randn(batch, seq_len, k, generator=g)
    if seed % 3 == 0:
        emissions[torch.rand(batch, seq_len, k, generator=g) < 0.3] += FORBIDDEN
    transitions = torch.randn(k, k, generator=g)
    transitions[torch.rand(k, k, generator=g) < 0.3] = FORBIDDEN
    lengths = torch.randint(1, seq_len + 1, (batch,), generator=g)
    lengths[0] = seq_len
    mask = torch.arange(seq_len)[None, :] < lengths[:, None]
    return emissions, mask, transitions, torch.randn(k, generator=g), torch.randn(k, generator=g)


@pytest.mark.parametrize("seed", range(60))
def test_the_decoding_scans_give_the_loops_paths_and_marginals(seed):
    g = torch.Generator().manual_seed(1000 + seed)
    batch, seq_len, k = (int(torch.randint(1, hi, (1,), generator=g)) for hi in (9, 70, 10))
    chain = constrained_chain(seed, batch, seq_len, k)
    mask = chain[1]
    probs = marginals(*chain)
    possible = probs.sum(2)[mask] > 0.5  # a row whose every path is forbidden has no marginals in the loop
    assert torch.equal(viterbi_scan(*chain), viterbi(*chain))  # past a sequence's end too: its last tag
    torch.testing.assert_close((marginals_scan(*chain) * mask[..., None])[mask][possible], (probs * mask[..., None])[mask][possible],
                               atol=1e-6, rtol=0)


def test_the_decoding_scans_take_rows_in_turns_past_their_limit(monkeypatch):
    chain = constrained_chain(4, 9, 33, 5)
    whole = viterbi_scan(*chain), marginals_scan(*chain)
    monkeypatch.setattr(nerpipe.decoding, "DECODE_LIMIT", 32 * 5 ** 3 * 2)  # two rows at a time for the Viterbi scan
    calls = []
    real = nerpipe.decoding._scan
    monkeypatch.setattr(nerpipe.decoding, "_scan", lambda *a, **kw: calls.append(a[0].shape[0]) or real(*a, **kw))
    assert torch.equal(viterbi_scan(*chain), whole[0])
    assert calls == [2, 2] * 4 + [1, 1]  # forward and back-pointers, for each share of the 9 rows
    torch.testing.assert_close(marginals_scan(*chain), whole[1])


@pytest.mark.parametrize("decode", [viterbi_scan, marginals_scan])
def test_the_decoding_scans_take_a_few_operations_whatever_the_length(decode):
    def ops(seq_len: int, of=decode) -> int:
        chain = constrained_chain(1, 8, seq_len, 9)
        with CountOps() as counted:
            of(*chain)
        return counted.count

    assert ops(128) - ops(16) <= 3 * 40  # three more doublings, each a step of a few operations a scan
    loop = viterbi if decode is viterbi_scan else marginals
    assert ops(128) * 5 < ops(128, loop)


def test_a_row_too_long_for_the_scans_is_decoded_by_the_loop(monkeypatch):
    import nerpipe.model

    long, short = torch.zeros(1, 40, 5), torch.zeros(8, 4, 5)
    monkeypatch.setattr(nerpipe.model, "DECODE_LIMIT", 10 * 5 ** 3)  # one row of 11 positions

    class OnGpu:  # the shape of a tensor on a GPU (none here)
        def __init__(self, x):
            self.shape, self.device = x.shape, torch.device("cuda")

    assert nerpipe.model.decodes_by_scan(OnGpu(short)) and not nerpipe.model.decodes_by_scan(OnGpu(long))
    assert not nerpipe.model.decodes_by_scan(short)  # the CPU loops
