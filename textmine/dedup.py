"""Group repeated and near-duplicate petitions: the same matter sent again, reworded, by one or
several people. How often a matter comes back is a signal screeners use.

What "the same matter" means here, measured on the corpus and on hand-reworded petitions:

- a copy or light edit shares most character bigrams (Jaccard >= 0.5);
- a rewording shares few bigrams (0.12-0.25, no better than unrelated petitions from the same
  county) but names the same people and amounts: 刘某某 / 王某 and 1200元 in one letter are
  村支书刘某某 / 其小舅子王某 and 一千二百元 in the other. So two notes are also the same matter
  when their bigram Jaccard is at least 0.1 and they share at least two *key facts* (masked or
  full person names, amounts in yuan, normalised by :mod:`textmine.evidence`) covering most of
  the facts of the shorter note, or Jaccard >= 0.15 and one shared key fact covering half.
  On the 855 corpus notes (about 365,000 pairs of different matters) no pair passes; six
  heavily reworded pairs all do.

Scaling to a million rows without comparing every pair (no O(n²) time or memory):

- each note is summarised by a :class:`NoteSketch`: a MinHash signature of its character bigrams
  (128 × uint16) and up to eight key-fact hashes (uint32) — 288 bytes, written to disk as rows
  stream by and read back memory-mapped;
- candidate pairs come from hash keys, one family at a time: LSH bands of three MinHash values
  (near copies), (key fact, one MinHash value) pairs (rewordings sharing one fact), and pairs of
  key facts (rewordings sharing two); each family is sorted in slices of the key space, so memory
  stays a few arrays of length n;
- notes whose keys collide are checked against up to a few representatives of their bucket with
  the rule above, on estimated Jaccard, and joined with union-find; groups are the connected
  components (a chain of repeats is one group).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .normalize import normalize_text

__all__ = ["MinHasher", "NoteSketch", "key_facts", "key_places", "village_key", "is_same_matter", "find_groups",
           "DuplicateRule", "FACT_WEIGHTS", "NUM_PERM", "MAX_FACTS", "MAX_PLACES"]

NUM_PERM = 128
MAX_FACTS = 8
MAX_PLACES = 4
_BAND_ROWS = 3
_BANDS = 20
_FACT_PERMS = 8  # MinHash values paired with each key fact
_REPS_PER_BUCKET = 4
_SMALL_BUCKET = 24
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)

_KEEP = re.compile(r"[^0-9a-z\u3400-\u9fff]+")
_MASKED_NAME = re.compile(r"([\u4e00-\u9fff])(?:某某|某|[×xX\*○〇]{1,3})")
_POST_WORDS = re.compile(r"书记|支书|主任|会计|出纳|组长|委员|干部|队长|村长|镇长|乡长|站长|所长|局长|报账员|文书|监委")


@dataclass(frozen=True)
class DuplicateRule:
    """When two notes are the same matter (see the module docstring for how these were chosen).

    Jaccard values are MinHash estimates (standard error about 0.03 near 0.12 with 128
    permutations), which is why a low Jaccard is never enough on its own.
    """

    copy_jaccard: float = 0.5
    similar_jaccard: float = 0.3
    reworded_jaccard: float = 0.10
    reworded_facts: float = 2.0  # weight of shared facts (FACT_WEIGHTS)
    reworded_cover: float = 0.6
    one_fact_jaccard: float = 0.2
    one_fact_cover: float = 0.5


def _hash32(s: str) -> int:
    # crc32, not hash(): Python's str hash changes between processes, and workers sketch notes.
    return zlib.crc32(s.encode("utf-8")) or 1


def key_facts(evidence: dict, text: str | None = None) -> list[str]:
    """The facts that identify a matter across rewordings: person names and amounts.

    Masked names are reduced to surname + 某 (村支书刘某某, 刘某 and 刘某某（村支书） are one
    person), except where 某 masks a place (昭化区某镇: 区某 is no one); full names count when they
    have three characters (two-character "names" found by the part-of-speech tagger are mostly
    ordinary words: 林木, 明白); bare posts (村会计) are too common to identify anything. Amounts
    are their value in yuan, so 1200元 and 一千二百元 agree; small round sums (100元, 200元) are
    too common to count. Each fact is prefixed by its kind, which sets its weight
    (:data:`FACT_WEIGHTS`): ``M:`` masked name, ``N:`` full name, ``A:`` amount, ``R:`` round amount.
    """
    facts: list[str] = []
    for p in evidence.get("persons", []):
        t = normalize_text(p["text"])
        m = _MASKED_NAME.search(t)
        if m:
            after = text[p["end"]:p["end"] + 1] if text is not None else ""
            if after and after in _PLACE_CHARS and m.end() == len(t):
                continue
            facts.append("M:" + m.group(1) + "某")
        elif len(t) == 3 and not _POST_WORDS.search(t) and not t.endswith(_PLACE_ENDINGS):
            facts.append("N:" + t)
    for a in evidence.get("amounts", []):
        y = a.get("yuan")
        if y is not None and (y >= 1000 or (y >= 100 and not _is_round(y))):
            facts.append(f"{'R' if _is_round(y) else 'A'}:{y:.0f}")
    return list(dict.fromkeys(facts))


def _is_round(y: float) -> bool:
    digits = f"{y:.0f}".rstrip("0")
    return len(digits) <= 1


_PLACE_CHARS = set("村镇乡县区市组社屯")
_PLACE_ENDINGS = ("村", "社区", "居委会", "嘎查", "组", "镇", "乡", "县", "区", "市")
_VILLAGE = re.compile(r"([\u4e00-\u9fff]{2})(村|社区|居委会|嘎查)$")
_COUNTY = re.compile(r"([\u4e00-\u9fff]{2})(县|市|区)$")
_NOT_COUNTY = {"小区", "景区", "城区", "社区", "库区", "园区", "山区", "片区", "辖区", "本区", "该区", "新区", "矿区",
               "街区", "校区", "厂区", "置区", "发区", "范区", "本市", "本县", "该县", "该市", "全县", "全市", "全区",
               "城市", "超市", "集市", "门市", "菜市", "夜市"}


def village_key(place: str) -> str | None:
    """A village's name reduced to what varies least between writers: the last two characters
    before 村/社区 (汲冢镇后刘庄村, 后刘庄村 and 刘庄村 all give 刘庄村); None for a masked
    (某村) or non-village place."""
    t = _KEEP.sub("", normalize_text(place or ""))
    m = _VILLAGE.search(t)
    if not m or "某" in m.group(1):
        return None
    return m.group(1) + m.group(2)


def _county_key(place: str) -> str | None:
    t = _KEEP.sub("", normalize_text(place or ""))
    t = re.split(r"(?<=[县市区])", t)[0] if re.search(r"[县市区]", t) else ""
    m = _COUNTY.search(t)
    if not m or "某" in m.group(1) or (m.group(1)[-1] + m.group(2)) in _NOT_COUNTY or m.group(0) in _NOT_COUNTY:
        return None
    return m.group(0)


def key_places(evidence: dict, extra: Iterable[str] = ()) -> list[str]:
    """Where a note says the matter is: villages (``V:``) and counties/districts (``C:``) named in
    its text, and villages in ``extra`` (the row's village column)."""
    places = [p["text"] for p in evidence.get("places", [])]
    keys = ["V:" + k for k in map(village_key, [*places, *extra]) if k]
    keys += ["C:" + k for k in map(_county_key, places) if k]
    return list(dict.fromkeys(keys))


class MinHasher:
    """MinHash signatures of character bigrams, with ``num_perm`` seeded multiply-shift hashes.

    Picklable and deterministic (the same seed gives the same signatures in every process), so
    worker processes can sketch notes and the parent can compare them.
    """

    def __init__(self, num_perm: int = NUM_PERM, seed: int = 20240601):
        self.num_perm = num_perm
        self.seed = seed
        rng = np.random.default_rng(seed)
        self._seeds = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)

    def shingles(self, text: str) -> np.ndarray:
        """Distinct character-bigram codes of the note (letters and digits only, normalised)."""
        clean = _KEEP.sub("", normalize_text(text))
        if len(clean) < 2:
            # Too short for bigrams: the note itself is its only shingle, so only equal notes match.
            return np.array([_hash32(clean or text)], dtype=np.uint64)
        codes = np.frombuffer(clean.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        return np.unique((codes[:-1] << np.uint64(21)) | codes[1:])

    def signature(self, text: str) -> np.ndarray:
        """``num_perm`` uint16 values: the low bits of each permutation's minimum hash.

        Each permutation is a seeded MurmurHash3 finaliser: a linear (multiply-shift) hash is
        cheaper but estimates Jaccard visibly worse on bigram codes, which are highly structured.
        """
        with np.errstate(over="ignore"):
            z = self.shingles(text)[:, None] ^ self._seeds[None, :]
            z = (z ^ (z >> np.uint64(33))) * np.uint64(0xFF51AFD7ED558CCD)
            z = (z ^ (z >> np.uint64(33))) * np.uint64(0xC4CEB9FE1A85EC53)
            z ^= z >> np.uint64(33)
        return ((z >> np.uint64(32)).min(axis=0) & np.uint64(0xFFFF)).astype(np.uint16)


@dataclass
class NoteSketch:
    """What grouping needs of one note: MinHash signature, key-fact and village hashes."""

    signature: np.ndarray  # (NUM_PERM,) uint16
    facts: np.ndarray  # (MAX_FACTS,) uint32, sorted, 0 = none
    places: np.ndarray  # (MAX_PLACES,) uint32, sorted, 0 = none

    @classmethod
    def of(cls, hasher: MinHasher, text: str, evidence: dict, villages: Iterable[str] = ()) -> "NoteSketch":
        """Sketch ``text`` whose evidence (``Model.classify_many`` output) is ``evidence``;
        ``villages`` are place names known from other columns of the row."""
        return cls(hasher.signature(text), _hash_row(key_facts(evidence, text), MAX_FACTS),
                   _hash_row(key_places(evidence, villages), MAX_PLACES))


#: How much one shared fact says that two notes are the same matter: a masked name (王某) is
#: common, a full name less so; a round sum (3000元) is common, an exact one (1200元) is not.
FACT_WEIGHTS = {"M": 1.0, "N": 1.5, "A": 1.0, "R": 0.5}
_FACT_TAG = {"M": 0, "N": 1, "A": 2, "R": 3}
_TAG_WEIGHT = np.array([FACT_WEIGHTS[k] for k in sorted(_FACT_TAG, key=_FACT_TAG.get)])


def _hash_row(items: list[str], width: int) -> np.ndarray:
    # The top bits of a hash carry the item's kind: the fact kind (weights), or the place level
    # (village or county: conflicts are judged per level).
    def code(x: str) -> int:
        if x[0] in _FACT_TAG:
            return ((_hash32(x) & 0x3FFFFFFF) | (_FACT_TAG[x[0]] << 30)) or 1
        return (_hash32(x) & 0x7FFFFFFF) | (0x80000000 if x.startswith("C:") else 0) or 1

    hashes = sorted({code(x) for x in items})[:width]
    arr = np.zeros(width, dtype=np.uint32)
    arr[: len(hashes)] = hashes
    return arr


def _shared_facts(facts: np.ndarray, rep: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Per row of ``facts`` against one ``rep`` row: shared count, shared weight, own count; and
    rep's count."""
    rep_set = rep[rep != 0]
    own = (facts != 0).sum(axis=1)
    if rep_set.size == 0:
        zero = np.zeros(len(facts))
        return zero, zero, own, 0
    hit = np.isin(facts, rep_set) & (facts != 0)
    weight = (hit * _TAG_WEIGHT[(facts >> np.uint32(30)).astype(np.int64)]).sum(axis=1)
    return hit.sum(axis=1), weight, own, int(rep_set.size)


def _place_relation(places: np.ndarray, rep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: does it share a village with the representative, and does it conflict with it
    (both name villages, or both name counties, and none in common)?"""
    n = len(places)
    shared_village = np.zeros(n, dtype=bool)
    conflict = np.zeros(n, dtype=bool)
    top = np.uint32(0x80000000)
    for county in (False, True):
        level = (places & top) != 0 if county else (places != 0) & ((places & top) == 0)
        rep_set = rep[(rep != 0) & (((rep & top) != 0) == county)]
        if rep_set.size == 0:
            continue
        named = level.any(axis=1)
        common = (np.isin(places, rep_set) & level).any(axis=1)
        conflict |= named & ~common
        if not county:
            shared_village = common
    return shared_village, conflict


def is_same_matter(jaccard: np.ndarray, shared: np.ndarray, weight: np.ndarray, own: np.ndarray, rep_count: int,
                   shared_village: np.ndarray | None = None, place_conflict: np.ndarray | None = None,
                   rule: DuplicateRule = DuplicateRule()) -> np.ndarray:
    """Vectorised decision of the rule for rows compared with one representative: ``jaccard``
    estimated bigram Jaccard, ``shared``/``weight`` count and weight of shared key facts, ``own``
    each row's fact count, ``rep_count`` the representative's.

    Near copies (``copy_jaccard``) are the same matter wherever they say they are from; anything
    looser must not name a different village or county.
    """
    n = len(jaccard)
    if shared_village is None:
        shared_village = np.zeros(n, dtype=bool)
    cover = shared / np.maximum(1, np.minimum(own, rep_count))
    looser = ((jaccard >= rule.similar_jaccard)
              | ((jaccard >= rule.reworded_jaccard) & (weight >= rule.reworded_facts) & (cover >= rule.reworded_cover))
              | ((jaccard >= rule.reworded_jaccard) & (weight >= 1) & shared_village & (cover >= rule.one_fact_cover))
              | ((jaccard >= rule.one_fact_jaccard) & (weight >= 1) & (cover >= rule.one_fact_cover)))
    if place_conflict is not None:
        looser &= ~place_conflict
    return (jaccard >= rule.copy_jaccard) | looser


class _UnionFind:
    def __init__(self, n: int):
        self.parent = np.arange(n, dtype=np.int64)

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:  # path compression keeps later finds short
            parent[i], i = root, parent[i]
        return int(root)

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            # The lower row number becomes the root, so a group is named after its first row.
            if ri < rj:
                self.parent[rj] = ri
            else:
                self.parent[ri] = rj

    def roots(self) -> np.ndarray:
        parent = self.parent
        # Pointer jumping until every row points at its root (vectorised path compression).
        while True:
            nxt = parent[parent]
            if np.array_equal(nxt, parent):
                return parent
            parent = nxt


def _mix(*cols: np.ndarray) -> np.ndarray:
    """A 64-bit hash combining uint64 columns (splitmix-style), never 0 (0 marks "no key")."""
    with np.errstate(over="ignore"):
        h = np.full(cols[0].shape, 0x9E3779B97F4A7C15, dtype=np.uint64)
        for c in cols:
            h ^= c.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15) + (h << np.uint64(6)) + (h >> np.uint64(2))
            h *= np.uint64(0xBF58476D1CE4E5B9)
            h ^= h >> np.uint64(31)
    h[h == 0] = 1
    return h


_N_FAMILIES = _BANDS + _FACT_PERMS + 1


def _family_keys(sig: np.ndarray, facts: np.ndarray, chunk: slice, family: int) -> np.ndarray:
    """Candidate keys of one family for rows ``chunk``: a (rows × width) uint64 array, 0 = no key.

    Families ``0 .. _BANDS-1`` are LSH bands of MinHash values, the next ``_FACT_PERMS`` pair each
    key fact with one MinHash value, the last pairs key facts with each other. Keys are recomputed
    per slice rather than stored: hashing again is cheaper than keeping n × 60 keys around.
    """
    s = np.asarray(sig[chunk])
    rows = s.shape[0]
    if family < _BANDS:
        band = s[:, family * _BAND_ROWS:(family + 1) * _BAND_ROWS].astype(np.uint64)
        return _mix(np.full(rows, family + 1, dtype=np.uint64), *band.T).reshape(-1, 1)
    f = np.asarray(facts[chunk]).astype(np.uint64)
    has = f != 0
    if family < _BANDS + _FACT_PERMS:
        p = family - _BANDS
        col = s[:, NUM_PERM - 1 - p].astype(np.uint64)
        keys = _mix(np.full(f.shape, 1000 + p, dtype=np.uint64), f, np.broadcast_to(col[:, None], f.shape))
        return np.where(has, keys, np.uint64(0))
    pairs = []
    for i in range(MAX_FACTS):
        for j in range(i + 1, MAX_FACTS):
            ok = has[:, i] & has[:, j]
            pairs.append(np.where(ok, _mix(np.full(rows, 2000, dtype=np.uint64), f[:, i], f[:, j]), np.uint64(0)))
    return np.stack(pairs, axis=1)


def find_groups(signatures: np.ndarray, facts: np.ndarray, places: np.ndarray | None = None,
                rule: DuplicateRule = DuplicateRule(), partitions: int | None = None,
                chunk_rows: int = 200_000) -> np.ndarray:
    """Group numbers per note: 0 for a note that stands alone, 1, 2, … for groups (numbered in
    the order of their first row).

    ``signatures`` (n × NUM_PERM uint16), ``facts`` (n × MAX_FACTS uint32) and ``places``
    (n × MAX_PLACES uint32, optional) may be memory-mapped; they are read in slices.
    ``partitions`` splits each key family by key value to bound memory (default: about four
    million keys per slice).
    """
    n = len(signatures)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if places is None:
        places = np.zeros((n, MAX_PLACES), dtype=np.uint32)
    uf = _UnionFind(n)
    for family in range(_N_FAMILIES):
        # Bands have one key per row; the fact families at most MAX_FACTS or 28 per row.
        width = 1 if family < _BANDS else (MAX_FACTS if family < _BANDS + _FACT_PERMS else 28)
        parts = partitions or max(1, n * width // 4_000_000 + 1)
        for part in range(parts):
            ks, docs = [], []
            for start in range(0, n, chunk_rows):
                keys = _family_keys(signatures, facts, slice(start, min(n, start + chunk_rows)), family)
                sel = keys != 0
                if parts > 1:
                    sel &= (keys % np.uint64(parts)) == np.uint64(part)
                r, _ = np.nonzero(sel)
                ks.append(keys[sel])
                docs.append(r.astype(np.int64) + start)
            _join_buckets(np.concatenate(ks), np.concatenate(docs), (signatures, facts, places), uf, rule)
    return _number_groups(uf.roots())


def _join_buckets(keys: np.ndarray, docs: np.ndarray, data, uf: _UnionFind, rule: DuplicateRule) -> None:
    if keys.size < 2:
        return
    order = np.lexsort((docs, keys))
    keys, docs = keys[order], docs[order]
    boundaries = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [keys.size]))
    for b in np.flatnonzero(ends - starts >= 2):
        members = np.unique(docs[starts[b]:ends[b]])
        if members.size >= 2:
            _join_bucket(members, data, uf, rule)


def _join_bucket(members: np.ndarray, data, uf: _UnionFind, rule: DuplicateRule) -> None:
    """Join the bucket's notes that match. A small bucket is compared pair by pair; in a large
    one (a common name and sum) each note is compared with a few representatives only, which
    keeps the work linear — the other key families give true repeats further chances to meet."""
    sig, facts, places = data
    if members.size <= _SMALL_BUCKET:
        S, F, P = np.asarray(sig[members]), np.asarray(facts[members]), np.asarray(places[members])
        for k in range(members.size - 1):
            same = _compare(k, S, F, P, rule)
            for j in np.flatnonzero(same) + k + 1:
                uf.union(int(members[k]), int(members[j]))
        return
    pending = members
    for _ in range(_REPS_PER_BUCKET):
        if pending.size < 2:
            return
        S, F, P = np.asarray(sig[pending]), np.asarray(facts[pending]), np.asarray(places[pending])
        same = _compare(0, S, F, P, rule)
        for j in pending[1:][same]:
            uf.union(int(pending[0]), int(j))
        pending = pending[1:][~same]


def _compare(k: int, S: np.ndarray, F: np.ndarray, P: np.ndarray, rule: DuplicateRule) -> np.ndarray:
    """Which of rows ``k+1 …`` are the same matter as row ``k``."""
    jaccard = (S[k + 1:] == S[k]).mean(axis=1)
    shared, weight, own, rep_count = _shared_facts(F[k + 1:], F[k])
    village, conflict = _place_relation(P[k + 1:], P[k])
    return is_same_matter(jaccard, shared, weight, own, rep_count, village, conflict, rule)


def _number_groups(roots: np.ndarray) -> np.ndarray:
    sizes = np.bincount(roots, minlength=roots.size)
    grouped = sizes[roots] >= 2
    out = np.zeros(roots.size, dtype=np.int64)
    # Roots are the first row of their group, so numbering roots in row order numbers groups by first row.
    group_roots = np.flatnonzero((sizes >= 2))
    number = np.zeros(roots.size, dtype=np.int64)
    number[group_roots] = np.arange(1, group_roots.size + 1)
    out[grouped] = number[roots[grouped]]
    return out
