/* The one-note scoring path of textmine.fastpath, in C.
 *
 * A batch is scored with NumPy (textmine/fastpath.py), where per-call overheads are shared by the
 * whole batch. One note alone pays ~30 NumPy calls of fixed cost each; this module does the same
 * arithmetic for one note in one call:
 *
 *   word n-grams of the note's tokens and character n-grams of its folded text are looked up in
 *   the model's hash tables (KeyTable's, same probe sequence), counted, weighted as (1 + log count) * idf,
 *   L2-normalised per block (words, characters) and multiplied with the weight matrix W,
 *
 * in exactly the order and the operations the NumPy path uses (features in id order, sums added
 * one term after another, no fused multiply-add: built with -ffp-contract=off), so the logits are
 * bit-for-bit those of the batch path. 1 + log(count) is read from a table computed by NumPy,
 * because the C library's log may differ from NumPy's in the last bit; a count beyond the table
 * returns None and the caller takes the NumPy path. tests/test_fastpath.py checks equality.
 *
 * Optional: when no C compiler is available at install time, textmine runs without it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define SKIP (-3)
#define BITS 21
#define GOLDEN 0x9E3779B97F4A7C15ULL
#define STEP 0xC2B2AE3D27D4EB4FULL

/* CHAR_SLOTS, WORD_SLOTS: hash tables as (key, id) pairs side by side; ROWS: per feature its idf then
 * its k weights. Each looked-up n-gram and each feature then costs one cache miss, not two. */
/* CHAR1: the feature id of each single character of the Basic Multilingual Plane (-1: none), a
 * 512 KB array that stays in the CPU cache, where the hash table would be a memory read each. */
enum { CHAR_SLOTS, WORD_SLOTS, ROWS, BIAS, LOG_TABLE, CHAR1, N_BUFFERS };

typedef struct {
    PyObject_HEAD
    PyObject *token_ids; /* dict: token -> unigram id, or SKIP (stopwords, spaces), or -2 (note break) */
    Py_buffer buf[N_BUFFERS];
    int held[N_BUFFERS];
    Py_ssize_t n_word, k;
    int word_lo, word_hi, char_lo, char_hi, char_bits, word_bits;
} Scorer;

static void Scorer_dealloc(Scorer *self) {
    for (int i = 0; i < N_BUFFERS; i++)
        if (self->held[i]) PyBuffer_Release(&self->buf[i]);
    Py_XDECREF(self->token_ids);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static Py_ssize_t count_of(Scorer *self, int which) { return self->buf[which].len / 8; }

static int Scorer_init(Scorer *self, PyObject *args, PyObject *kwds) {
    PyObject *token_ids, *objs[N_BUFFERS];
    if (!PyArg_ParseTuple(args, "O!OiOiOOOOniiii", &PyDict_Type, &token_ids, &objs[CHAR_SLOTS], &self->char_bits,
                          &objs[WORD_SLOTS], &self->word_bits, &objs[ROWS], &objs[BIAS], &objs[LOG_TABLE],
                          &objs[CHAR1], &self->n_word, &self->word_lo, &self->word_hi, &self->char_lo, &self->char_hi))
        return -1;
    for (int i = 0; i < N_BUFFERS; i++) { /* __init__ called again: let go of the old arrays first */
        if (self->held[i]) PyBuffer_Release(&self->buf[i]);
        self->held[i] = 0;
    }
    for (int i = 0; i < N_BUFFERS; i++) {
        if (PyObject_GetBuffer(objs[i], &self->buf[i], PyBUF_C_CONTIGUOUS) < 0) return -1;
        self->held[i] = 1;
        if (self->buf[i].itemsize != 8) {
            PyErr_SetString(PyExc_ValueError, "Scorer: arrays must be int64 or float64");
            return -1;
        }
    }
    Py_INCREF(token_ids);
    Py_XSETREF(self->token_ids, token_ids);
    self->k = count_of(self, BIAS);
    if (self->char_bits < 4 || self->word_bits < 4 || self->char_bits > 40 || self->word_bits > 40
        || count_of(self, CHAR_SLOTS) != ((Py_ssize_t)2 << self->char_bits) || count_of(self, CHAR1) != 0x10000
        || count_of(self, WORD_SLOTS) != ((Py_ssize_t)2 << self->word_bits) || self->k == 0
        || count_of(self, ROWS) % (self->k + 1) != 0 || count_of(self, LOG_TABLE) < 2 || self->char_hi > 3
        || self->word_hi > 3) {
        PyErr_SetString(PyExc_ValueError, "Scorer: inconsistent array sizes or n-gram ranges");
        return -1;
    }
    return 0;
}

/* KeyTable's open-addressing table (fastpath.KeyTable._hashed): home slot and odd step from two
 * multiplicative hashes, -1 marks a free slot. Same probe sequence as KeyTable.lookup. */
static int64_t lookup(const int64_t *slots, int bits, int64_t key) {
    uint64_t u = (uint64_t)key, mask = ((uint64_t)1 << bits) - 1;
    int shift = 64 - bits;
    uint64_t slot = (u * GOLDEN) >> shift, step = ((u * STEP) >> shift) | 1;
    for (;;) {
        int64_t k = slots[2 * slot];
        if (k == key) return slots[2 * slot + 1];
        if (k == -1) return -1;
        slot = (slot + step) & mask;
    }
}

static void prefetch_home(const int64_t *slots, int bits, int64_t key) {
    __builtin_prefetch(slots + 2 * (((uint64_t)key * GOLDEN) >> (64 - bits)));
}

/* A feature's row (idf and k weights) spans up to two cache lines for k < 16: ask for both. */
static void prefetch_row(const double *rows, int64_t id, Py_ssize_t width) {
    __builtin_prefetch(rows + id * width);
    __builtin_prefetch(rows + id * width + width - 1);
}

static int cmp_int64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* logits(folded, tokens, features=False) -> tuple of k floats (X @ W + bias for this note), or None.
 * With features=True: (logits, ids, values), ids and values as bytes of int64 and float64 — the
 * note's row of X, in id order, as the NumPy path computes it. */
static PyObject *Scorer_logits(Scorer *self, PyObject *args) {
    PyObject *folded, *tokens;
    int want_features = 0;
    if (!PyArg_ParseTuple(args, "UO!|p", &folded, &PyList_Type, &tokens, &want_features)) return NULL;
    if (PyUnicode_READY(folded) < 0) return NULL;
    for (int i = 0; i < N_BUFFERS; i++)
        if (!self->held[i] || self->token_ids == NULL) {
            PyErr_SetString(PyExc_RuntimeError, "Scorer was not initialised");
            return NULL;
        }
    Py_ssize_t n_tok = PyList_GET_SIZE(tokens), n_chars = PyUnicode_GET_LENGTH(folded);
    int kind = PyUnicode_KIND(folded);
    const void *data = PyUnicode_DATA(folded);
    const int64_t *cslots = self->buf[CHAR_SLOTS].buf, *wslots = self->buf[WORD_SLOTS].buf;
    const int64_t *char1 = self->buf[CHAR1].buf;
    const double *rows = self->buf[ROWS].buf, *bias = self->buf[BIAS].buf;
    const double *log_table = self->buf[LOG_TABLE].buf;
    Py_ssize_t n_table = count_of(self, LOG_TABLE), k = self->k, width = self->k + 1;

    int64_t *arr = PyMem_Malloc(sizeof(int64_t) * (n_tok + 1));
    int64_t *occ = PyMem_Malloc(sizeof(int64_t) * (n_tok * 3 + n_chars * 3 + 1));
    double *vals = PyMem_Malloc(sizeof(double) * (n_tok * 3 + n_chars * 3 + 1));
    int64_t *keys = PyMem_Malloc(sizeof(int64_t) * (n_tok * 3 + n_chars * 3 + 1));
    double *z = PyMem_Malloc(sizeof(double) * k);
    PyObject *result = NULL;
    if (!arr || !occ || !vals || !keys || !z) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t m = 0, n_occ = 0;
    for (Py_ssize_t i = 0; i < n_tok; i++) {
        PyObject *v = PyDict_GetItemWithError(self->token_ids, PyList_GET_ITEM(tokens, i));
        int64_t id = -1;
        if (v == NULL) {
            if (PyErr_Occurred()) goto done;
        } else {
            id = PyLong_AsLongLong(v);
            if (id == -1 && PyErr_Occurred()) goto done;
        }
        if (id != SKIP) arr[m++] = id;
    }
    if (self->word_lo == 1)
        for (Py_ssize_t i = 0; i < m; i++)
            if (arr[i] >= 0) {
                occ[n_occ++] = arr[i];
                prefetch_row(rows, arr[i], width);
            }
    /* All n-gram keys first, each home slot prefetched; then the probes, whose memory reads then
     * overlap instead of waiting one after another. */
    Py_ssize_t n_wk = 0, n_ck = 0;
    for (int n = self->word_lo > 2 ? self->word_lo : 2; n <= self->word_hi; n++) {
        for (Py_ssize_t i = 0; i + n <= m; i++) {
            /* unsigned: a key that outgrows 63 bits (a vocabulary of millions of words) wraps the
             * way NumPy's int64 arithmetic does, rather than being undefined */
            uint64_t ukey = 0;
            int ok = 1;
            for (int j = 0; j < n; j++) {
                if (arr[i + j] < 0) { ok = 0; break; }
                ukey = ukey * (uint64_t)(self->n_word + 1) + (uint64_t)arr[i + j] + 1;
            }
            if (!ok) continue;
            int64_t key = (int64_t)ukey;
            prefetch_home(wslots, self->word_bits, key);
            keys[n_wk++] = key;
        }
    }
    n_ck = n_wk;
    for (int n = self->char_lo; n <= self->char_hi; n++) {
        for (Py_ssize_t i = 0; i + n <= n_chars; i++) {
            int64_t key = 0;
            for (int j = 0; j < n; j++) key = (key << BITS) | (int64_t)PyUnicode_READ(kind, data, i + j);
            if (n == 1 && key < 0x10000) {
                int64_t id = char1[key];
                if (id >= 0) {
                    occ[n_occ++] = id;
                    prefetch_row(rows, id, width);
                }
                continue;
            }
            prefetch_home(cslots, self->char_bits, key);
            keys[n_ck++] = key;
        }
    }
    for (Py_ssize_t i = 0; i < n_ck; i++) {
        int64_t id = i < n_wk ? lookup(wslots, self->word_bits, keys[i]) : lookup(cslots, self->char_bits, keys[i]);
        if (id >= 0) {
            occ[n_occ++] = id;
            prefetch_row(rows, id, width); /* needed after the sort: ask for it now */
        }
    }
    qsort(occ, n_occ, sizeof(int64_t), cmp_int64);
    /* Distinct features in id order (occ is reused for the ids), their tf-idf values, block norms. */
    Py_ssize_t n_feat = 0;
    double sq[2] = {0.0, 0.0};
    for (Py_ssize_t i = 0; i < n_occ;) {
        Py_ssize_t j = i;
        while (j < n_occ && occ[j] == occ[i]) j++;
        Py_ssize_t count = j - i;
        if (count >= n_table) { /* beyond the table: let NumPy do this note */
            Py_INCREF(Py_None);
            result = Py_None;
            goto done;
        }
        occ[n_feat] = occ[i];
        vals[n_feat++] = log_table[count];
        i = j;
    }
    for (Py_ssize_t f = 0; f < n_feat; f++) {
        double v = vals[f] * rows[occ[f] * width];
        double v2 = v * v;
        sq[occ[f] >= self->n_word] += v2;
        vals[f] = v;
    }
    for (Py_ssize_t c = 0; c < k; c++) z[c] = 0.0;
    for (Py_ssize_t f = 0; f < n_feat; f++) {
        double v = vals[f] / sqrt(sq[occ[f] >= self->n_word]);
        vals[f] = v;
        const double *row = rows + occ[f] * width + 1;
        for (Py_ssize_t c = 0; c < k; c++) {
            double t = v * row[c];
            z[c] += t;
        }
    }
    PyObject *logits = PyTuple_New(k);
    if (logits == NULL) goto done;
    for (Py_ssize_t c = 0; c < k; c++) {
        PyObject *x = PyFloat_FromDouble(z[c] + bias[c]);
        if (x == NULL) {
            Py_DECREF(logits);
            goto done;
        }
        PyTuple_SET_ITEM(logits, c, x);
    }
    if (!want_features) {
        result = logits;
        goto done;
    }
    result = Py_BuildValue("(Ny#y#)", logits, (const char *)occ, (Py_ssize_t)(n_feat * sizeof(int64_t)),
                           (const char *)vals, (Py_ssize_t)(n_feat * sizeof(double)));
done:
    PyMem_Free(arr);
    PyMem_Free(occ);
    PyMem_Free(vals);
    PyMem_Free(keys);
    PyMem_Free(z);
    return result;
}

static PyMethodDef Scorer_methods[] = {
    {"logits", (PyCFunction)Scorer_logits, METH_VARARGS,
     "logits(folded, tokens, features=False): X @ W + bias of one note as a tuple (with features: and the\n"
     "note's feature ids and values as bytes), or None (a count beyond the table)."},
    {NULL, NULL, 0, NULL}};

static PyTypeObject ScorerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "textmine._fastscore.Scorer",
    .tp_basicsize = sizeof(Scorer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Scorer(token_ids, char_slots, char_bits, word_slots, word_bits, rows, bias, log_table, char1, n_word, "
              "word_lo, word_hi, char_lo, char_hi)",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scorer_init,
    .tp_dealloc = (destructor)Scorer_dealloc,
    .tp_methods = Scorer_methods,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastscore", "One-note scoring in C.", -1, NULL};

PyMODINIT_FUNC PyInit__fastscore(void) {
    if (PyType_Ready(&ScorerType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&ScorerType);
    if (PyModule_AddObject(m, "Scorer", (PyObject *)&ScorerType) < 0) {
        Py_DECREF(&ScorerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
