"""Near-duplicates: MinHash over shingles (chart code, questions), perceptual hashes of images,
shared word n-grams between questions.

All three are deterministic (fixed hash seeds, sorted outputs) and pure: callers pass texts and
image bytes, and get index pairs back.

* Code: Python tokens with comments and layout dropped (``tokenize``), shingled in windows of 5
  tokens; pairs whose shingle sets have a Jaccard similarity of at least ``threshold`` (default
  0.8). MinHash LSH (``datasketch``, 128 permutations, banded for recall) proposes candidates,
  the exact Jaccard decides, so a reported pair is never an estimate.
* Questions: lower-cased words, shingled in 3-grams, the same MinHash route; and, for
  decontamination, any shared word 8-gram (the usual benchmark-contamination test, shortened for
  chart questions, which average about 25 words), or equality for questions under 8 words.
* Images: the DCT perceptual hash (``imagehash.phash``, 16x16 = 256 bits) of the image as
  rendered; pairs within ``max_distance`` bits (default 16, 6%).
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

import numpy as np

CODE_SHINGLE = 5
QUESTION_SHINGLE = 3
NUM_PERM = 128
JACCARD_THRESHOLD = 0.8
CONTAMINATION_NGRAM = 8
PHASH_SIZE = 16
PHASH_MAX_DISTANCE = 16

_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
         tokenize.ENDMARKER}
_WORD = re.compile(r"\w+")


def code_tokens(code: str) -> list[str]:
    """The script's tokens without comments and layout (a regex split if it does not tokenize)."""
    try:
        return [t.string for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type not in _SKIP]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return re.findall(r"\w+|[^\w\s]", re.sub(r"#[^\n]*", "", code))


def shingles(tokens: list[str], n: int) -> set[str]:
    if len(tokens) < n:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


def code_shingles(code: str, n: int = CODE_SHINGLE) -> set[str]:
    return shingles(code_tokens(code), n)


def words(text: str) -> list[str]:
    return _WORD.findall(str(text or "").lower())


def question_shingles(text: str, n: int = QUESTION_SHINGLE) -> set[str]:
    return shingles(words(text), n)


def jaccard(a: set, b: set) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True)
class Pair:
    """Item ``i`` of the first collection is near item ``j`` of the second (or of the same)."""

    i: int
    j: int
    score: float  # Jaccard similarity (MinHash routes) or Hamming distance in bits (images)


def near_duplicates(sets_a: list[set], sets_b: list[set] | None = None, threshold: float = JACCARD_THRESHOLD,
                    num_perm: int = NUM_PERM) -> list[Pair]:
    """Pairs with exact Jaccard >= ``threshold``: within ``sets_a`` (i < j) or between a and b."""
    from datasketch import MinHash, MinHashLSH

    def sigs(sets):
        return MinHash.bulk([[s.encode("utf-8") for s in sorted(x)] for x in sets], num_perm=num_perm, seed=1)

    ref = sets_a if sets_b is None else sets_b
    # Banding tuned below the threshold and against misses: at Jaccard 0.8 a pair becomes a
    # candidate with probability 0.998 (datasketch's balanced banding for 0.8 gives 0.40).
    lsh = MinHashLSH(threshold=max(0.05, threshold - 0.1), num_perm=num_perm, weights=(0.1, 0.9))
    ref_sigs = sigs(ref)
    for k, m in enumerate(ref_sigs):
        if ref[k]:
            lsh.insert(k, m, check_duplication=False)
    query_sigs = ref_sigs if sets_b is None else sigs(sets_a)
    pairs = []
    for i, m in enumerate(query_sigs):
        if not sets_a[i]:
            continue
        for j in lsh.query(m):
            if sets_b is None and j <= i:
                continue
            score = jaccard(sets_a[i], ref[j])
            if score >= threshold:
                pairs.append(Pair(i, j, round(score, 4)))
    return sorted(pairs, key=lambda p: (p.i, p.j))


def image_hash(image: bytes, hash_size: int = PHASH_SIZE) -> np.ndarray:
    """The perceptual hash of encoded image bytes, as packed bits (``uint8``)."""
    import imagehash
    from PIL import Image

    with Image.open(io.BytesIO(image)) as im:
        # The hash looks at a (4 * hash_size)-pixel square: a JPEG is decoded at the smallest DCT
        # scale (1/2 ... 1/8) that keeps twice that, ~9x faster than a full decode and resize of a
        # 200-dpi chart, with the same hash on the released charts (bench/checks.py measures both).
        im.draft("L", (hash_size * 8, hash_size * 8))
        bits = imagehash.phash(im, hash_size=hash_size).hash
    return np.packbits(bits.ravel())


def image_hash_pairs(hashes_a: list[np.ndarray], hashes_b: list[np.ndarray] | None = None,
                     max_distance: int = PHASH_MAX_DISTANCE) -> list[Pair]:
    """Pairs whose hashes differ in at most ``max_distance`` bits (within a, i < j; or a vs b)."""
    if not hashes_a or (hashes_b is not None and not hashes_b):
        return []
    a = np.stack(hashes_a)
    b = a if hashes_b is None else np.stack(hashes_b)
    pairs = []
    for i in range(len(a)):
        start = i + 1 if hashes_b is None else 0
        if start >= len(b):
            break
        dist = np.unpackbits(np.bitwise_xor(b[start:], a[i]), axis=1).sum(axis=1)
        for k in np.nonzero(dist <= max_distance)[0]:
            pairs.append(Pair(i, int(start + k), int(dist[k])))
    return pairs


def ngram_matches(queries: list[str], references: list[str], n: int = CONTAMINATION_NGRAM) -> list[Pair]:
    """``(query, reference)`` pairs that share a word n-gram (or are equal, for texts under n words).

    ``score`` is the number of the query's n-grams found in that reference.
    """
    index: dict[tuple, list[int]] = {}
    for j, text in enumerate(references):
        w = words(text)
        grams = {tuple(w)} if len(w) < n else {tuple(w[k:k + n]) for k in range(len(w) - n + 1)}
        for g in grams:
            if g:
                index.setdefault(g, []).append(j)
    pairs = []
    for i, text in enumerate(queries):
        w = words(text)
        grams = {tuple(w)} if len(w) < n else {tuple(w[k:k + n]) for k in range(len(w) - n + 1)}
        hits: dict[int, int] = {}
        for g in grams:
            for j in index.get(g, ()):
                hits[j] = hits.get(j, 0) + 1
        pairs += [Pair(i, j, c) for j, c in sorted(hits.items())]
    return pairs
