"""A tiny synthetic NER data set the model can learn perfectly in seconds."""

import random

PEOPLE = [["Anna", "Berg"], ["Tom", "Hale"], ["Ines"], ["Omar", "Diaz"], ["Lena", "Vogt"], ["Raj"]]
ORGS = [["Nordvik", "Mining"], ["Acme"], ["Blue", "River", "Bank"], ["Kestrel"]]
PLACES = [["Oslo"], ["New", "Ulm"], ["Lima"], ["Port", "Elise"]]
TEMPLATES = [
    ["{PER}", "works", "for", "{ORG}", "in", "{LOC}", "."],
    ["{ORG}", "hired", "{PER}", "."],
    ["{PER}", "flew", "to", "{LOC}", "with", "{PER}", "."],
    ["the", "office", "of", "{ORG}", "is", "in", "{LOC}", "."],
    ["nobody", "came", "."],
]
POOLS = {"PER": PEOPLE, "ORG": ORGS, "LOC": PLACES}


def sentences(n: int, seed: int = 0):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        tokens, tags = [], []
        for slot in rng.choice(TEMPLATES):
            if slot.startswith("{"):
                label = slot[1:-1]
                name = rng.choice(POOLS[label])
                tokens += name
                tags += [f"B-{label}"] + [f"I-{label}"] * (len(name) - 1)
            else:
                tokens.append(slot)
                tags.append("O")
        out.append((tokens, tags))
    return out


def write(path, n: int, seed: int = 0) -> str:
    with open(path, "w", encoding="utf-8") as f:
        for tokens, tags in sentences(n, seed):
            f.writelines(f"{t} {g}\n" for t, g in zip(tokens, tags))
            f.write("\n")
    return str(path)
