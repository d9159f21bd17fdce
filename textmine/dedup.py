"""Group repeated and near-duplicate petitions: the same matter sent again, reworded, by one or
several people. How often a matter comes back is a signal screeners use.

What "the same matter" means here (:func:`is_same_matter`, thresholds in :class:`DuplicateRule`),
measured on the corpus and on hand-reworded petitions:

- a copy or light edit shares many character bigrams: Jaccard >= 0.3, where unrelated notes of
  the corpus stay below 0.22 (99th percentile of each note's nearest neighbour: 0.20);
- a rewording shares few bigrams (0.12-0.25, no better than unrelated petitions from the same
  county) but names the same people and sums: 刘某某 / 王某 and 1200元 in one letter are
  村支书刘某某 / 其小舅子王某 and 一千二百元 in the other. So two notes are also the same matter
  when their Jaccard is at least 0.1 and they share *key facts* (:func:`key_facts`: masked or
  full names, sums in yuan, weighted by how telling they are) covering most of the shorter
  note's facts — with weight 2, or weight 1 and the same village (weight 2 and the same village
  from Jaccard 0.07: the estimate is noisy there); or Jaccard >= 0.25 and one fact covering half;
- anything short of a verbatim repeat (Jaccard >= 0.9) must not name a different village or
  county (:func:`key_places`), and a close copy must not be about different people and sums
  altogether (a form letter filled in for another case).

On the 855 notes of the first corpus (about 365,000 pairs of different matters) this joins no
two different matters but a follow-up visit to its own inspection finding, and joins five of
six heavily reworded pairs written for the purpose.

Scaling to a million rows without comparing every pair (no O(n²) time or memory):

- each note is summarised by a :class:`NoteSketch`: a MinHash signature of its character bigrams
  (128 × uint16), up to eight key-fact and six place hashes (uint32) — 312 bytes, written to
  disk as rows stream by and read back memory-mapped;
- candidate pairs come from hash keys, one family at a time: LSH bands of three MinHash values
  (near copies), (key fact, one MinHash value) pairs (rewordings sharing one fact), and pairs of
  key facts (rewordings sharing two); each family is sorted in slices of the key space, so memory
  stays a few arrays of length n;
- notes whose keys collide are compared — all pairs of a small bucket in one vectorised batch
  per family, a few representatives of a large one — on estimated Jaccard;
- matches are joined by star linkage around each group's first note (:class:`_UnionFind`), not
  by single linkage: a note quoting two petitions must not chain two matters into one group.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import numpy as np

from .normalize import normalize_text

__all__ = ["MinHasher", "NoteSketch", "key_facts", "key_places", "village_key", "is_same_matter", "find_groups",
           "DuplicateRule", "FACT_WEIGHTS", "NUM_PERM", "MAX_FACTS", "MAX_PLACES"]

NUM_PERM = 128
MAX_FACTS = 8
MAX_PLACES = 6
_BAND_ROWS = 3
_BANDS = 20
_FACT_PERMS = 8  # MinHash values paired with each key fact
_REPS_PER_BUCKET = 4
_SMALL_BUCKET = 32
_MAX_REMEMBERED = 1_000_000  # refused root pairs kept (about 100 MB)

_KEEP = re.compile(r"[^0-9a-z\u3400-\u9fff]+")
_MASKED_NAME = re.compile(r"([\u4e00-\u9fff])(?:某某|某|[×xX\*○〇]{1,3})")
_POST_WORDS = re.compile(r"书记|支书|主任|会计|出纳|组长|委员|干部|队长|村长|镇长|乡长|站长|所长|局长|报账员|文书|监委")


@dataclass(frozen=True)
class DuplicateRule:
    """When two notes are the same matter (see the module docstring for how these were chosen).

    Jaccard values are MinHash estimates (standard error about 0.03 near 0.12 with 128
    permutations), which is why a low Jaccard is never enough on its own.
    """

    verbatim_jaccard: float = 0.9
    similar_jaccard: float = 0.3
    reworded_jaccard: float = 0.10
    same_place_jaccard: float = 0.07  # facts of weight 2 *and* the same village
    reworded_facts: float = 2.0  # weight of shared facts (FACT_WEIGHTS)
    reworded_cover: float = 0.6
    one_fact_jaccard: float = 0.25
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
        elif len(t) == 3 and not _POST_WORDS.search(t) and not t.endswith(_PLACE_ENDINGS + _ROLE_ENDINGS):
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
# Three-character words the tagger takes for names but that name a role: 脱贫户, 保洁员, 儿媳妇.
_ROLE_ENDINGS = ("户", "员", "人", "者", "妇", "长", "工", "生", "师", "党", "属", "头", "娘", "爷", "婆", "嫂")
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
    if not m or set(m.group(1)) & _NOT_VILLAGE_CHARS:
        return None
    return m.group(1) + m.group(2)


def _county_key(place: str) -> str | None:
    t = _KEEP.sub("", normalize_text(place or ""))
    t = re.split(r"(?<=[县市区])", t)[0] if re.search(r"[县市区]", t) else ""
    m = _COUNTY.search(t)
    if not m or "某" in m.group(1) or (m.group(1)[-1] + m.group(2)) in _NOT_COUNTY or m.group(0) in _NOT_COUNTY:
        return None
    return m.group(0)


# The evidence leaves out a village glued to a post (杨桥村会计 is a person, not a place), so
# those are picked up here: two characters, 村, then a post.
_VILLAGE_BEFORE_POST = re.compile(r"([\u4e00-\u9fff]{2})村(?=会计|支书|书记|主任|党支部|党总支|两委|村委|委会|"
                                  r"组长|出纳|报账员|文书|监委|民委员会)")
#: Characters that make "X村" something other than a name: 全村, 我们村, 2021年任村会计, 到了村.
_NOT_VILLAGE_CHARS = set("我们你他她咱本该全各外邻此这那个一两的是在到了回出进和与给从跟对每某乡农年任把为由作留开下经问而组"
                         "映找向说让叫被将请")


# An address chain in the text: 长汀县河田镇…, 綦江区某镇…, 瓦店镇杨桥村. The evidence misses some.
_COUNTY_IN_ADDRESS = re.compile(r"([\u4e00-\u9fff]{2}(?:县|区|旗))(?=某|[\u4e00-\u9fff]{1,4}?(?:镇|乡|街道))")
_VILLAGE_IN_ADDRESS = re.compile(r"(?:镇|乡|街道)([\u4e00-\u9fff]{2,3}?)(?=村)")


def key_places(evidence: dict, text: str | None = None) -> list[str]:
    """Where a note says the matter is: villages (``V:``) and counties/districts (``C:``) named in
    its text — from the evidence places, from address chains (长汀县河田镇, 瓦店镇杨桥村) and from
    villages glued to a post (杨桥村会计).

    Only the text counts, not the row's village column: the column says where the letter was
    registered, and a reworded copy filed under another village is still the same matter.
    """
    places = [p["text"] for p in evidence.get("places", [])]
    keys = ["V:" + k for k in map(village_key, places) if k]
    counties = [_county_key(p) for p in places]
    if text is not None:
        norm = normalize_text(text)
        villages = [m.group(1) for m in _VILLAGE_BEFORE_POST.finditer(norm)]
        villages += [m.group(1)[-2:] for m in _VILLAGE_IN_ADDRESS.finditer(norm)]
        keys += ["V:" + v + "村" for v in villages if not (set(v) & _NOT_VILLAGE_CHARS)]
        counties += [_county_key(m.group(1)) for m in _COUNTY_IN_ADDRESS.finditer(norm)]
    keys += ["C:" + k for k in counties if k]
    return list(dict.fromkeys(keys))


def _bigram_codes(text: str) -> np.ndarray:
    """The note's character bigrams (letters and digits only, normalised) as uint64 codes, repeats
    included; a note too short for bigrams is its own only shingle, so only equal notes match."""
    clean = _KEEP.sub("", normalize_text(text))
    if len(clean) < 2:
        return np.array([_hash32(clean or text)], dtype=np.uint64)
    codes = np.frombuffer(clean.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    return (codes[:-1] << np.uint64(21)) | codes[1:]


_FMIX1, _FMIX2, _S33 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53), np.uint64(33)


class MinHasher:
    """MinHash signatures of character bigrams, with ``num_perm`` seeded hash functions.

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
        codes = _bigram_codes(text)
        return _unique(codes) if len(codes) > 1 else codes

    def signature(self, text: str) -> np.ndarray:
        """``num_perm`` uint16 values: the low bits of each permutation's minimum hash.

        Each permutation is a seeded MurmurHash3 finaliser: a linear (multiply-shift) hash is
        cheaper but estimates Jaccard visibly worse on bigram codes, which are highly structured.
        """
        return self._minima(self.shingles(text), np.zeros(1, dtype=np.int64))[0]

    def signatures(self, texts: list[str], block: int = 1024) -> np.ndarray:
        """:meth:`signature` of every text (a ``len(texts) × num_perm`` array, equal row for row),
        hashing the bigrams of many notes per NumPy call instead of a dozen calls per note."""
        out = np.empty((len(texts), self.num_perm), dtype=np.uint16)
        codes, starts, rows = [], [], []
        pending = 0

        def flush():
            nonlocal codes, starts, rows, pending
            if rows:
                out[rows] = self._minima(np.concatenate(codes), np.array(starts, dtype=np.int64))
            codes, starts, rows, pending = [], [], [], 0

        for i, text in enumerate(texts):
            # Repeated bigrams are kept: the minimum over a multiset is the minimum over its set.
            note = _bigram_codes(text)
            starts.append(pending)
            codes.append(note)
            rows.append(i)
            pending += len(note)
            if pending >= block:
                flush()
        flush()
        return out

    def _minima(self, codes: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Signatures of the notes whose shingle codes are ``codes[starts[k]:starts[k+1]]``."""
        z = codes[:, None] ^ self._seeds[None, :]
        tmp = np.empty_like(z)  # in place: no new (shingles × num_perm) array per step
        for mult in (_FMIX1, _FMIX2):
            z ^= np.right_shift(z, _S33, out=tmp)
            z *= mult  # wraps modulo 2^64, as the hash intends
        z ^= np.right_shift(z, _S33, out=tmp)
        # The minimum of the high 32 bits is the high 32 bits of the minimum. (A slice's min per
        # note is cheaper than np.minimum.reduceat along axis 0.)
        ends = starts[1:].tolist() + [len(z)]
        low = np.stack([z[s:e].min(axis=0) for s, e in zip(starts.tolist(), ends)])
        return ((low >> np.uint64(32)) & np.uint64(0xFFFF)).astype(np.uint16)


@dataclass
class NoteSketch:
    """What grouping needs of one note: MinHash signature, key-fact and village hashes."""

    signature: np.ndarray  # (NUM_PERM,) uint16
    facts: np.ndarray  # (MAX_FACTS,) uint32, sorted, 0 = none
    places: np.ndarray  # (MAX_PLACES,) uint32, sorted, 0 = none

    @classmethod
    def of(cls, hasher: MinHasher, text: str, evidence: dict) -> "NoteSketch":
        """Sketch ``text`` whose evidence (``Model.classify_many`` output) is ``evidence``."""
        signatures, facts, places = cls.stacked(hasher, [text], [evidence])
        return cls(signatures[0], facts[0], places[0])

    @staticmethod
    def stacked(hasher: MinHasher, texts: list[str], evidence: list[dict]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The sketches of many notes as three arrays (signatures, facts, places), row for row
        equal to :meth:`of`, with the signatures hashed in blocks."""
        n = len(texts)
        facts = np.zeros((n, MAX_FACTS), dtype=np.uint32)
        places = np.zeros((n, MAX_PLACES), dtype=np.uint32)
        for i, (text, ev) in enumerate(zip(texts, evidence)):
            facts[i] = _hash_row(key_facts(ev, text), MAX_FACTS)
            places[i] = _hash_row(key_places(ev, text), MAX_PLACES)
        return hasher.signatures(texts), facts, places


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


def _compare_pairs(data, a: np.ndarray, b: np.ndarray, rule: DuplicateRule) -> np.ndarray:
    """Is note ``a[k]`` the same matter as note ``b[k]``? ``data`` is (signatures, facts, places),
    one row per note (possibly memory-mapped)."""
    sig, facts, places = data
    jaccard = (np.asarray(sig[a]) == np.asarray(sig[b])).mean(axis=1)
    # Every way to be the same matter needs some Jaccard: facts and places are read and compared
    # for the pairs that have it only (most candidate pairs do not).
    floor = min(rule.verbatim_jaccard, rule.similar_jaccard, rule.reworded_jaccard, rule.same_place_jaccard,
                rule.one_fact_jaccard)
    out = np.zeros(len(a), dtype=bool)
    close = np.flatnonzero(jaccard >= floor)
    a, b = a[close], b[close]
    out[close] = _judge(jaccard[close], np.asarray(facts[a]), np.asarray(places[a]), np.asarray(facts[b]),
                        np.asarray(places[b]), rule)
    return out


def _judge(jaccard, Fa, Pa, Fb, Pb, rule: DuplicateRule) -> np.ndarray:
    """The facts and places part of :func:`_compare_pairs`: ``F*`` fact hashes and ``P*`` place
    hashes of the pairs' first and second notes, row for row."""
    hit = ((Fa[:, :, None] == Fb[:, None, :]) & (Fb[:, None, :] != 0)).any(axis=2)
    shared = hit.sum(axis=1)
    weight = (hit * _TAG_WEIGHT[(Fa >> np.uint32(30)).astype(np.int64)]).sum(axis=1)
    own_a, own_b = (Fa != 0).sum(axis=1), (Fb != 0).sum(axis=1)
    top = np.uint32(0x80000000)
    match = (Pa[:, :, None] == Pb[:, None, :]) & (Pa[:, :, None] != 0)
    conflict = np.zeros(len(jaccard), dtype=bool)
    village = conflict
    for county in (False, True):
        level_a = (Pa != 0) & (((Pa & top) != 0) == county)
        level_b = (Pb != 0) & (((Pb & top) != 0) == county)
        common = (match & level_a[:, :, None]).any(axis=(1, 2))
        conflict = conflict | (level_a.any(axis=1) & level_b.any(axis=1) & ~common)
        if not county:
            village = common
    return is_same_matter(jaccard, shared, weight, own_a, own_b, village, conflict, rule)


def is_same_matter(jaccard: np.ndarray, shared: np.ndarray, weight: np.ndarray, own_a: np.ndarray,
                   own_b: np.ndarray, shared_village: np.ndarray | None = None,
                   place_conflict: np.ndarray | None = None, rule: DuplicateRule = DuplicateRule()) -> np.ndarray:
    """The rule, elementwise over broadcastable arrays: ``jaccard`` estimated bigram Jaccard,
    ``shared``/``weight`` count and weight of shared key facts, ``own_a``/``own_b`` each note's
    fact count, ``shared_village``/``place_conflict`` from the places.

    A verbatim repeat is the same matter whatever else differs (the sender's own name, say).
    Anything looser must not name a different village or county, and a close copy must not be
    about different people and sums altogether (a form letter filled in for another case).
    """
    if shared_village is None:
        shared_village = np.zeros(np.shape(jaccard), dtype=bool)
    if place_conflict is None:
        place_conflict = np.zeros(np.shape(jaccard), dtype=bool)
    cover = shared / np.maximum(1, np.minimum(own_a, own_b))
    fact_conflict = (own_a > 0) & (own_b > 0) & (shared == 0)
    looser = (((jaccard >= rule.similar_jaccard) & ~fact_conflict)
              | ((jaccard >= rule.reworded_jaccard) & (weight >= rule.reworded_facts) & (cover >= rule.reworded_cover))
              | ((jaccard >= rule.reworded_jaccard) & (weight >= 1) & shared_village & (cover >= rule.one_fact_cover))
              | ((jaccard >= rule.same_place_jaccard) & (weight >= rule.reworded_facts) & shared_village
                 & (cover >= rule.reworded_cover))
              | ((jaccard >= rule.one_fact_jaccard) & (weight >= 1) & (cover >= rule.one_fact_cover)))
    return (jaccard >= rule.verbatim_jaccard) | (looser & ~place_conflict)


class _UnionFind:
    """Groups of rows, each named by its first row (its root).

    Groups grow by *star* linkage, not single linkage: a note joins a group when it matches the
    group's first note, and two groups merge only when their first notes match. Single linkage
    lets one note that quotes two petitions chain unrelated matters into one giant group; this
    keeps every group around a note that all its members resemble (up to two steps away).
    """

    def __init__(self, n: int, data, rule: DuplicateRule):
        self.n = n
        self.parent = list(range(n))
        self.data = data
        self.rule = rule
        # Root pairs already compared (the answer holds while both stay roots), each as the int
        # code a * n + b (a < b): cheaper to hash and to test in bulk than tuples.
        self.refused: set[int] = set()
        self.accepted: set[int] = set()

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:  # path compression keeps later finds short
            parent[i], i = root, parent[i]
        return root

    def merge(self, i: int, j: int) -> None:
        """Join the groups of ``i`` and ``j`` (which match) if their first notes match too."""
        ri, rj = self.find(i), self.find(j)
        if ri == rj:
            return
        ri, rj = min(ri, rj), max(ri, rj)
        code = ri * self.n + rj
        if {ri, rj} != {i, j} and code not in self.accepted:
            if code in self.refused:
                return
            if not self.check_roots(np.array([code], dtype=np.int64))[0]:
                return
        # The lower row number stays the root, so a group is named after its first row.
        self.parent[rj] = ri

    def check_roots(self, codes: np.ndarray, batch: int = 50_000) -> np.ndarray:
        """Compare root pairs (int codes, see ``__init__``) in batches and remember the answers."""
        out = []
        for start in range(0, len(codes), batch):
            chunk = codes[start:start + batch]
            a, b = np.divmod(chunk, self.n)
            same = _compare_pairs(self.data, a, b, self.rule)
            self.accepted.update(chunk[same].tolist())
            self.refused.update(chunk[~same].tolist())
            out.append(same)
        if len(self.refused) > _MAX_REMEMBERED:
            # Bounded memory: forgetting only means comparing some pairs again.
            self.refused.clear()
        return np.concatenate(out) if out else np.zeros(0, dtype=bool)

    def known(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each pair code: (already accepted, already refused)."""
        values = codes.tolist()
        out = []
        for answers in (self.accepted, self.refused):
            hits = answers.intersection(values)  # a loop in C, then a vectorised membership test
            out.append(np.isin(codes, np.fromiter(hits, dtype=np.int64, count=len(hits))))
        return out[0], out[1]

    def merge_many(self, a: list[int], b: list[int]) -> None:
        """:meth:`merge` for many matching pairs, with the root comparisons done in one batch."""
        find, n = self.find, self.n
        need = set()
        for x, y in zip(a, b):
            rx, ry = find(x), find(y)
            if rx != ry and {rx, ry} != {x, y}:
                code = min(rx, ry) * n + max(rx, ry)
                if code not in self.refused and code not in self.accepted:
                    need.add(code)
        if need:
            self.check_roots(np.array(sorted(need), dtype=np.int64))
        for x, y in zip(a, b):
            self.merge(x, y)

    def root_array(self) -> np.ndarray:
        """Every row's root, computed by vectorised pointer jumping (and written back compressed)."""
        parent = np.asarray(self.parent, dtype=np.int64)
        while True:
            nxt = parent[parent]
            if np.array_equal(nxt, parent):
                break
            parent = nxt
        self.parent = parent.tolist()
        return parent


def _unique(x: np.ndarray) -> np.ndarray:
    """Sorted distinct values: ``np.unique(x)`` by a sort. NumPy 2's ``np.unique`` hashes integer
    arrays, which is ~80x slower than sorting for the wide-ranged pair codes used here (measured on
    5 million int64: 4.3 s vs 0.05 s)."""
    s = np.sort(x)
    if s.size < 2:
        return s
    keep = np.empty(s.size, dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


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
    uf = _UnionFind(n, (signatures, facts, places), rule)
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
    return _number_groups(uf.root_array())


def _join_buckets(keys: np.ndarray, docs: np.ndarray, data, uf: _UnionFind, rule: DuplicateRule) -> None:
    """Join notes whose keys collide and that match. Buckets of up to ``_SMALL_BUCKET`` notes are
    expanded to all their pairs and compared in one vectorised batch, skipping pairs already in
    one group; a larger bucket (a common name and sum) is compared against a few representatives."""
    if keys.size < 2:
        return
    order = np.lexsort((docs, keys))
    keys, docs = keys[order], docs[order]
    boundaries = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    starts = np.concatenate(([0], boundaries))
    sizes = np.diff(np.concatenate((starts, [keys.size])))
    roots = uf.root_array()
    pairs_i, pairs_j = [], []
    for m in _unique(sizes[(sizes >= 2) & (sizes <= _SMALL_BUCKET)]):
        ti, tj = np.triu_indices(int(m), k=1)
        at = starts[sizes == m][:, None]
        i, j = docs[(at + ti).ravel()], docs[(at + tj).ravel()]
        keep = roots[i] != roots[j]
        pairs_i.append(i[keep])
        pairs_j.append(j[keep])
    if pairs_i:
        _join_pairs(np.concatenate(pairs_i), np.concatenate(pairs_j), data, uf, rule)
    large = []
    for b in np.flatnonzero(sizes > _SMALL_BUCKET):
        members = docs[starts[b]:starts[b] + sizes[b]]
        if (roots[members] != roots[members[0]]).any():  # else: one group already
            large.append(members)
    if large:
        _join_large_buckets(large, uf)


def _join_pairs(i: np.ndarray, j: np.ndarray, data, uf: _UnionFind, rule: DuplicateRule,
                batch: int = 50_000) -> None:
    if i.size == 0:
        return
    # The same pair can come from several buckets of a family.
    n = np.int64(len(uf.parent))
    code = _unique(np.minimum(i, j) * n + np.maximum(i, j))
    for start in range(0, len(code), batch):
        a, b = np.divmod(code[start:start + batch], n)
        same = _compare_pairs(data, a, b, rule)
        uf.merge_many(a[same].tolist(), b[same].tolist())


def _join_large_buckets(buckets: list[np.ndarray], uf: _UnionFind) -> None:
    """Large buckets (a common name and sum, a form letter): the first notes of the groups in each
    are compared with a few representatives only, which keeps the work linear — the other key
    families give true repeats further chances to meet. Each round compares one representative
    per bucket, all buckets in one batch; answers are remembered across families."""
    roots = uf.root_array()
    # Each bucket's distinct roots (its groups' first notes) in order, for all buckets in one sort.
    n = np.int64(uf.n)
    owner = np.repeat(np.arange(len(buckets)), [len(m) for m in buckets])
    keyed = _unique(owner * n + roots[np.concatenate(buckets)])
    pending = np.split(keyed % n, np.searchsorted(keyed // n, np.arange(1, len(buckets))))
    for _ in range(_REPS_PER_BUCKET):
        pending = [p for p in pending if len(p) >= 2]
        if not pending:
            return
        # Every bucket's representative (its first root) against each of its other roots, as pair codes.
        others = [p[1:] for p in pending]
        counts = np.array([len(o) for o in others])
        reps = np.repeat(np.array([p[0] for p in pending], dtype=np.int64), counts)
        rest = np.concatenate(others)
        codes = reps * uf.n + rest
        accepted, refused = uf.known(codes)
        todo = _unique(codes[~accepted & ~refused])
        if len(todo):
            same = uf.check_roots(todo)
            accepted |= np.isin(codes, todo[same])  # what known() would now say, without asking again
        for rep, r in zip(reps[accepted].tolist(), rest[accepted].tolist()):
            uf.merge(rep, r)
        # What each bucket has left for the next round: the roots its representative refused.
        bucket = np.repeat(np.arange(len(pending)), counts)[~accepted]
        pending = np.split(rest[~accepted], np.searchsorted(bucket, np.arange(1, len(pending))))


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
