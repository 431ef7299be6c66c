"""Constrained Viterbi decoding, tag marginals and path scores over linear-chain scores.

Forbidden transitions (an ``I-X`` after ``O`` in IOB2, say) carry a large negative
score, so the best path is always well formed; nothing is repaired afterwards.
The functions work for the CRF (its learned transitions) and for the softmax
tagger (zero transitions, log-probabilities as emissions). :func:`log_partition`
and :func:`path_score` make the CRF's training loss on a GPU without a loop over
positions.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import torch
from torch import Tensor

from .schemes import Scheme, is_transition_allowed, spans_to_tags, split_tag

FORBIDDEN = -10000.0


def transition_penalties(tags: list[str], scheme: Scheme) -> tuple[Tensor, Tensor, Tensor]:
    """0 where a transition is allowed, :data:`FORBIDDEN` where not.

    Returns:
        (num_tags, num_tags) for previous -> current, (num_tags,) for start, (num_tags,) for end.
    """
    n = len(tags)
    pairs = torch.tensor([[0.0 if is_transition_allowed(scheme, a, b) else FORBIDDEN for b in tags] for a in tags])
    start = torch.tensor([0.0 if is_transition_allowed(scheme, None, b) else FORBIDDEN for b in tags])
    end = torch.tensor([0.0 if is_transition_allowed(scheme, a, None) else FORBIDDEN for a in tags])
    assert pairs.shape == (n, n)
    return pairs, start, end


Hint = tuple[int, int, str, "float | None"]  # (start, end, label or "O", bonus; None: forced)


def hint_bias(hints: Sequence[Sequence[Hint]], seq_len: int, tags: Sequence[str], scheme: Scheme) -> Tensor:
    """Scores to add to the emissions so that decoding follows ``hints``, one list per sentence.

    A hint ``(start, end, label, None)`` forces tokens start..end-1 to be exactly one
    entity of ``label`` (a type the tags lack, or ``"O"``: no entity at all there): every
    other tag there is :data:`FORBIDDEN`, as is continuing the entity past ``end``. The
    transitions keep the tags around it well formed. ``(start, end, label, bonus)`` adds
    ``bonus`` to the tags that would make the span that entity, leaving the choice to the
    decoder. Returns (len(hints), seq_len, num_tags).
    """
    index = {t: k for k, t in enumerate(tags)}
    parts = [split_tag(t) for t in tags]
    bias = torch.zeros(len(hints), seq_len, len(tags))
    for row, own in enumerate(hints):
        for start, end, label, bonus in own:
            if f"B-{label}" in index or f"I-{label}" in index:
                wanted = spans_to_tags([(0, end - start, label)], end - start, scheme)
            else:
                wanted = ["O"] * (end - start)
            for pos, tag in zip(range(start, end), wanted):
                if bonus is None:
                    bias[row, pos] = FORBIDDEN
                    bias[row, pos, index[tag]] = 0.0
                else:
                    bias[row, pos, index[tag]] += bonus
            if bonus is None and wanted[0] != "O":
                # the entity ends at end: no tag there may continue it (and in IOB1, none before may run into it)
                for k, (prefix, lab) in enumerate(parts):
                    if lab == label and prefix in "IEL" and end < seq_len:
                        bias[row, end, k] = FORBIDDEN
                    if lab == label and scheme is Scheme.IOB1 and start > 0:
                        bias[row, start - 1, k] = FORBIDDEN
    return bias


def _check_shapes(emissions: Tensor, mask: Tensor) -> None:
    if emissions.dim() != 3 or mask.shape != emissions.shape[:2]:
        raise ValueError(f"expected emissions (B, T, K) and mask (B, T), got {tuple(emissions.shape)} and {tuple(mask.shape)}")


def viterbi(emissions: Tensor, mask: Tensor, transitions: Tensor, start: Tensor, end: Tensor) -> Tensor:
    """The best tag path of every sequence.

    Args:
        emissions: (batch, seq_len, num_tags) scores.
        mask: (batch, seq_len) bool, True on real tokens; every sequence has >= 1.
        transitions: (num_tags, num_tags) previous -> current scores.
        start, end: (num_tags,) scores of starting and ending on a tag.

    Returns:
        (batch, seq_len) tag ids; positions past a sequence's end hold junk.
    """
    _check_shapes(emissions, mask)
    batch, seq_len, _ = emissions.shape
    score = start + emissions[:, 0]  # (batch, num_tags)
    history = []
    for t in range(1, seq_len):
        best, best_prev = (score.unsqueeze(2) + transitions).max(dim=1)  # (batch, num_tags)
        score = torch.where(mask[:, t : t + 1], best + emissions[:, t], score)
        history.append(best_prev)
    current = (score + end).argmax(dim=1)  # (batch,)
    path = torch.empty(batch, seq_len, dtype=torch.long, device=emissions.device)
    for t in range(seq_len - 1, -1, -1):
        path[:, t] = current
        if t > 0:
            previous = history[t - 1].gather(1, current.unsqueeze(1)).squeeze(1)
            # past a sequence's end the last tag is carried back unchanged
            current = torch.where(mask[:, t], previous, current)
    return path


def marginals(emissions: Tensor, mask: Tensor, transitions: Tensor, start: Tensor, end: Tensor) -> Tensor:
    """Posterior probability of each tag at each position (forward-backward).

    Shapes as in :func:`viterbi`; returns (batch, seq_len, num_tags), rows summing to 1
    on real tokens. Runs in probability space (float64, each step rescaled), so a
    step is a matrix product rather than a log-sum-exp over a (batch, K, K) tensor.
    """
    batch, seq_len, num_tags = emissions.shape
    scores = emissions.double()
    # shifting each position's scores by a constant cancels in the normalisation below
    weights = (scores - scores.max(dim=2, keepdim=True).values).exp()  # (batch, seq_len, num_tags)
    trans = transitions.double().exp()  # (num_tags, num_tags); forbidden pairs are 0
    end_w = end.double().exp().expand(batch, num_tags)

    def normalised(x: Tensor) -> Tensor:
        return x / x.sum(dim=1, keepdim=True).clamp_min(1e-300)

    alphas = [normalised(start.double().exp() * weights[:, 0])]
    for t in range(1, seq_len):
        nxt = normalised((alphas[-1] @ trans) * weights[:, t])
        alphas.append(torch.where(mask[:, t : t + 1], nxt, alphas[-1]))
    lengths = mask.sum(1)
    betas = [normalised(end_w)] * seq_len
    for t in range(seq_len - 2, -1, -1):
        nxt = normalised((weights[:, t + 1] * betas[t + 1]) @ trans.T)
        # a sequence's last token starts from the end weights
        betas[t] = torch.where((t < lengths - 1).unsqueeze(1), nxt, betas[seq_len - 1])
    joint = torch.stack(alphas, 1) * torch.stack(betas, 1)  # (batch, seq_len, num_tags)
    return (joint / joint.sum(dim=2, keepdim=True).clamp_min(1e-300)).to(emissions.dtype)


def sequence_log_prob(emissions: Tensor, mask: Tensor, transitions: Tensor, start: Tensor, end: Tensor,
                      path: Tensor) -> Tensor:
    """log P(path | sentence) of each sequence under the chain: the path's score less the
    log-sum over every path (forward algorithm, in log space).

    Shapes as in :func:`viterbi`; ``path`` (batch, seq_len) tag ids (past a sequence's end
    ignored). Returns (batch,).
    """
    seq_len = emissions.shape[1]
    alpha = start + emissions[:, 0]  # (batch, num_tags)
    for t in range(1, seq_len):
        nxt = torch.logsumexp(alpha.unsqueeze(2) + transitions, dim=1) + emissions[:, t]
        alpha = torch.where(mask[:, t : t + 1], nxt, alpha)
    log_z = torch.logsumexp(alpha + end, dim=1)
    return path_score(emissions, mask, transitions, start, end, path) - log_z


def path_score(emissions: Tensor, mask: Tensor, transitions: Tensor, start: Tensor, end: Tensor, path: Tensor) -> Tensor:
    """The score of each sequence's ``path`` (batch, seq_len; past a sequence's end ignored):
    its start, emission, transition and end scores summed, in a few tensor operations
    whatever the length. Shapes as in :func:`viterbi`; returns (batch,)."""
    real = mask.to(emissions.dtype)
    score = start[path[:, 0]] + (emissions.gather(2, path.unsqueeze(2)).squeeze(2) * real).sum(1)
    if emissions.shape[1] > 1:
        score = score + (transitions[path[:, :-1], path[:, 1:]] * real[:, 1:]).sum(1)
    last = path.gather(1, (mask.sum(1) - 1).clamp_min(0).unsqueeze(1)).squeeze(1)
    return score + end[last]


_NONE = -1e30  # log of "no path": the identity's off-diagonal in the (log-sum-exp, +) semiring


def log_partition(emissions: Tensor, mask: Tensor, transitions: Tensor, start: Tensor, end: Tensor) -> Tensor:
    """log of the summed exp-score of every path of each sequence (the CRF's normaliser),
    in log2(seq_len) tensor steps rather than one per position.

    Each position after the first is a (num_tags, num_tags) matrix of transition plus
    emission scores (the identity past a sequence's end); their product in the
    (log-sum-exp, +) semiring is taken pairwise, halving the count at each step. The
    same value as the forward algorithm, with a handful of kernel launches per call
    instead of several per position (what makes a GPU wait on the host), for
    num_tags times the arithmetic (what makes it slower on a CPU, where
    pytorch-crf's loop stays). Differentiable; computed in float32 at least. Shapes as
    in :func:`viterbi`; returns (batch,).
    """
    batch, seq_len, num_tags = emissions.shape
    # float32 at least: float16 holds neither _NONE nor a sum of a few forbidden scores
    dtype = torch.promote_types(torch.result_type(emissions, transitions), torch.float32)
    emissions, transitions, start, end = (x.to(dtype) for x in (emissions, transitions, start, end))
    first = start + emissions[:, 0]  # (batch, num_tags)
    if seq_len == 1:
        return torch.logsumexp(first + end, dim=1)
    steps = _steps(emissions, mask, transitions)  # (batch, seq_len - 1, K, K)
    eye = steps.new_full((num_tags, num_tags), _NONE).fill_diagonal_(0.0)
    count = seq_len - 1
    padded = 1 << (count - 1).bit_length()  # a power of two: every step pairs all of them
    if padded > count:
        steps = torch.cat([steps, eye.expand(batch, padded - count, num_tags, num_tags)], dim=1)
    while steps.shape[1] > 1:
        # (i, k) then (k, j) -> (i, j), log-sum-exp over k
        steps = torch.logsumexp(steps[:, 0::2].unsqueeze(4) + steps[:, 1::2].unsqueeze(2), dim=3)
    return torch.logsumexp(first.unsqueeze(2) + steps[:, 0] + end, dim=(1, 2))


# numbers in one call of a decoding scan's widest step (512 MB in float32): more rows than fit are
# taken in turns
DECODE_LIMIT = 1 << 27


def _steps(emissions: Tensor, mask: Tensor, transitions: Tensor) -> Tensor:
    """Each position after the first as a (num_tags, num_tags) matrix of transition plus
    emission scores, the identity of the (max or log-sum-exp, +) semiring past a
    sequence's end: (batch, seq_len - 1, K, K)."""
    num_tags = emissions.shape[2]
    eye = torch.full((num_tags, num_tags), _NONE, dtype=emissions.dtype, device=emissions.device).fill_diagonal_(0.0)
    return torch.where(mask[:, 1:, None, None], transitions + emissions[:, 1:].unsqueeze(2), eye)


def _scan(steps: Tensor, combine, reverse: bool = False) -> Tensor:
    """Inclusive running products along dim 1 of ``steps`` under the associative
    ``combine`` (left operand first), in log2(n) tensor steps (Hillis and Steele):
    ``out[:, t]`` is steps 0..t combined, or with ``reverse`` steps t..n-1."""
    n, d = steps.shape[1], 1
    while d < n:
        joined = combine(steps[:, :-d], steps[:, d:])  # at t: what ends at t - d (starts at t) joined to what ends at t (starts at t + d)
        steps = torch.cat([joined, steps[:, n - d:]] if reverse else [steps[:, :d], joined], 1)
        d *= 2
    return steps


def _max_plus(a: Tensor, b: Tensor) -> Tensor:
    return (a.unsqueeze(-1) + b.unsqueeze(-3)).amax(-2)


def _times(a: Tensor, b: Tensor) -> Tensor:
    """Products of non-negative matrices, each scaled to a largest entry of 1 (the
    marginals need directions only; the scale would overflow)."""
    product = a @ b
    return product / product.amax((-2, -1), keepdim=True).clamp_min(1e-300)


def _compose(f: Tensor, g: Tensor) -> Tensor:
    """Maps of tag ids (batch, n, K), ``f`` applied after ``g``: f[g[j]]."""
    return f.gather(-1, g)


def _in_turns(power: int):
    """The decorated function over the batch's rows a share at a time, so that its
    widest step holds at most :data:`DECODE_LIMIT` numbers: about (seq_len - 1) *
    num_tags ** ``power`` a row."""

    def decorate(fn):
        @functools.wraps(fn)
        def by_rows(emissions: Tensor, mask: Tensor, *rest: Tensor) -> Tensor:
            batch, seq_len, num_tags = emissions.shape
            rows = max(1, DECODE_LIMIT // max(1, (seq_len - 1) * num_tags ** power))
            if batch <= rows:
                return fn(emissions, mask, *rest)
            return torch.cat([fn(emissions[i: i + rows], mask[i: i + rows], *rest) for i in range(0, batch, rows)])
        return by_rows
    return decorate


@_in_turns(3)
def viterbi_scan(emissions: Tensor, mask: Tensor, transitions: Tensor, start: Tensor, end: Tensor) -> Tensor:
    """:func:`viterbi` in about 2 log2(seq_len) steps of tensor operations rather than
    several per position: what a GPU runs without waiting on the host, for num_tags
    times the arithmetic (the loop is the faster on a CPU).

    The best score of ending on each tag at each position comes from running max-plus
    products of the steps' matrices; the path is read back by composing the
    back-pointers (each position's best previous tag for each tag) as maps, also in
    log2(seq_len) steps. The same path as the loop, but where two paths' scores tie to
    the last bit (the sums are added in another order).
    """
    _check_shapes(emissions, mask)
    batch, seq_len, num_tags = emissions.shape
    first = start + emissions[:, 0]  # (batch, num_tags)
    if seq_len == 1:
        return (first + end).argmax(1, keepdim=True)
    ahead = _scan(_steps(emissions, mask, transitions), _max_plus)  # (batch, seq_len - 1, K, K): position 1..t
    best = torch.cat([first.unsqueeze(1), (first[:, None, :, None] + ahead).amax(2)], 1)  # (batch, seq_len, K)
    tags = torch.arange(num_tags, device=emissions.device)
    # at t: for each tag there, the best tag at t - 1 (itself past a sequence's end: carried back unchanged)
    back = torch.where(mask[:, 1:, None], (best[:, :-1, :, None] + transitions).argmax(2), tags)
    # at t: where the tag at the last position leads back to at t
    back = _scan(torch.cat([back, tags.expand(batch, 1, num_tags)], 1), _compose, reverse=True)
    last = (best[:, -1] + end).argmax(1)  # (batch,)
    return back.gather(2, last[:, None, None].expand(batch, seq_len, 1)).squeeze(2)


@_in_turns(2)
def marginals_scan(emissions: Tensor, mask: Tensor, transitions: Tensor, start: Tensor, end: Tensor) -> Tensor:
    """:func:`marginals` in about 2 log2(seq_len) steps of tensor operations (see
    :func:`viterbi_scan`): the forward and backward weights from running (batched
    matrix) products of the steps' weight matrices, in float64 probability space as
    the loop. The same values to rounding."""
    _check_shapes(emissions, mask)
    batch, seq_len, num_tags = emissions.shape
    scores = emissions.double()
    weights = (scores - scores.max(dim=2, keepdim=True).values).exp()  # (batch, seq_len, K)
    first = start.double().exp() * weights[:, 0]
    end_w = end.double().exp()
    if seq_len > 1:
        eye = torch.eye(num_tags, dtype=torch.float64, device=emissions.device)
        steps = torch.where(mask[:, 1:, None, None], transitions.double().exp() * weights[:, 1:].unsqueeze(2), eye)
        forward = (first[:, None, None, :] @ _scan(steps, _times)).squeeze(2)  # (batch, seq_len - 1, K)
        # from each tag at t - 1 to the end; past a sequence's end the steps are the identity: its last token gets the end weights
        backward = (_scan(steps, _times, reverse=True) @ end_w[:, None]).squeeze(3)
        first = torch.cat([first.unsqueeze(1), forward], 1)  # (batch, seq_len, K)
        end_w = torch.cat([backward, end_w.expand(batch, 1, num_tags)], 1)
    joint = first.reshape(batch, seq_len, num_tags) * end_w
    return (joint / joint.sum(dim=2, keepdim=True).clamp_min(1e-300)).to(emissions.dtype)


def scan_size(emissions: Tensor) -> int:
    """How many numbers :func:`log_partition`'s first step holds for these emissions
    (its memory: the later steps hold half as many each)."""
    batch, seq_len, num_tags = emissions.shape
    return batch * ((1 << max(seq_len - 2, 0).bit_length()) // 2) * num_tags ** 3


def token_entropy(probs: Tensor, mask: Tensor, fold: Tensor | None = None) -> Tensor:
    """The entropy (nats) of each token's tag distribution, 0 past a sequence's end:
    (batch, seq_len, num_tags) marginals -> (batch, seq_len).

    ``fold``: (num_tags,) the tag each tag's probability counts as (several tags folded
    into one, as the tags of types a user does not annotate into O), so doubts between
    the tags folded together count for nothing."""
    p = probs.double()
    if fold is not None:
        p = torch.zeros_like(p).index_add_(2, fold.to(p.device), p)
    p = p.clamp_min(1e-300)
    return (-(p * p.log()).sum(2) * mask).to(probs.dtype)
