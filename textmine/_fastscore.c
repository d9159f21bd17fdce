/* The one-note scoring path of textmine.fastpath, in C.
 *
 * A batch is scored with NumPy (textmine/fastpath.py), where per-call overheads are shared by the
 * whole batch. One note alone pays ~30 NumPy calls of fixed cost each; this module does the same
 * arithmetic for one note in one call:
 *
 *   word n-grams of the note's tokens and character n-grams of its folded text are looked up in
 *   the model's sorted key arrays (binary search), counted, weighted as (1 + log count) * idf,
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

enum { CHAR_KEYS, CHAR_IDS, WORD_KEYS, WORD_IDS, IDF, WEIGHTS, BIAS, LOG_TABLE, N_BUFFERS };

typedef struct {
    PyObject_HEAD
    PyObject *token_ids; /* dict: token -> unigram id, or SKIP (stopwords, spaces), or -2 (note break) */
    Py_buffer buf[N_BUFFERS];
    int held[N_BUFFERS];
    Py_ssize_t n_word, k;
    int word_lo, word_hi, char_lo, char_hi;
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
    if (!PyArg_ParseTuple(args, "O!OOOOOOOOniiii", &PyDict_Type, &token_ids, &objs[CHAR_KEYS], &objs[CHAR_IDS],
                          &objs[WORD_KEYS], &objs[WORD_IDS], &objs[IDF], &objs[WEIGHTS], &objs[BIAS],
                          &objs[LOG_TABLE], &self->n_word, &self->word_lo, &self->word_hi, &self->char_lo,
                          &self->char_hi))
        return -1;
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
    if (count_of(self, CHAR_KEYS) != count_of(self, CHAR_IDS) || count_of(self, WORD_KEYS) != count_of(self, WORD_IDS)
        || self->k == 0 || count_of(self, WEIGHTS) != count_of(self, IDF) * self->k || count_of(self, LOG_TABLE) < 2
        || self->char_hi > 3 || self->word_hi > 3) {
        PyErr_SetString(PyExc_ValueError, "Scorer: inconsistent array sizes or n-gram ranges");
        return -1;
    }
    return 0;
}

static int64_t lookup(const int64_t *keys, const int64_t *ids, Py_ssize_t n, int64_t key) {
    Py_ssize_t lo = 0, hi = n;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (keys[mid] < key) lo = mid + 1;
        else hi = mid;
    }
    return (lo < n && keys[lo] == key) ? ids[lo] : -1;
}

static int cmp_int64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* logits(folded, tokens) -> tuple of k floats (X @ W + bias for this note), or None. */
static PyObject *Scorer_logits(Scorer *self, PyObject *args) {
    PyObject *folded, *tokens;
    if (!PyArg_ParseTuple(args, "UO!", &folded, &PyList_Type, &tokens)) return NULL;
    Py_ssize_t n_tok = PyList_GET_SIZE(tokens), n_chars = PyUnicode_GET_LENGTH(folded);
    int kind = PyUnicode_KIND(folded);
    const void *data = PyUnicode_DATA(folded);
    const int64_t *ckeys = self->buf[CHAR_KEYS].buf, *cids = self->buf[CHAR_IDS].buf;
    const int64_t *wkeys = self->buf[WORD_KEYS].buf, *wids = self->buf[WORD_IDS].buf;
    const double *idf = self->buf[IDF].buf, *W = self->buf[WEIGHTS].buf, *bias = self->buf[BIAS].buf;
    const double *log_table = self->buf[LOG_TABLE].buf;
    Py_ssize_t n_ckeys = count_of(self, CHAR_KEYS), n_wkeys = count_of(self, WORD_KEYS);
    Py_ssize_t n_table = count_of(self, LOG_TABLE), k = self->k;

    int64_t *arr = PyMem_Malloc(sizeof(int64_t) * (n_tok + 1));
    int64_t *occ = PyMem_Malloc(sizeof(int64_t) * (n_tok * 3 + n_chars * 3 + 1));
    double *vals = PyMem_Malloc(sizeof(double) * (n_tok * 3 + n_chars * 3 + 1));
    double *z = PyMem_Malloc(sizeof(double) * k);
    PyObject *result = NULL;
    if (!arr || !occ || !vals || !z) {
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
            if (arr[i] >= 0) occ[n_occ++] = arr[i];
    for (int n = self->word_lo > 2 ? self->word_lo : 2; n <= self->word_hi; n++) {
        for (Py_ssize_t i = 0; i + n <= m; i++) {
            int64_t key = 0;
            int ok = 1;
            for (int j = 0; j < n; j++) {
                if (arr[i + j] < 0) { ok = 0; break; }
                key = key * (self->n_word + 1) + arr[i + j] + 1;
            }
            if (!ok) continue;
            int64_t id = lookup(wkeys, wids, n_wkeys, key);
            if (id >= 0) occ[n_occ++] = id;
        }
    }
    for (int n = self->char_lo; n <= self->char_hi; n++) {
        for (Py_ssize_t i = 0; i + n <= n_chars; i++) {
            int64_t key = 0;
            for (int j = 0; j < n; j++) key = (key << BITS) | (int64_t)PyUnicode_READ(kind, data, i + j);
            int64_t id = lookup(ckeys, cids, n_ckeys, key);
            if (id >= 0) occ[n_occ++] = id;
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
        double v = log_table[count] * idf[occ[i]];
        double v2 = v * v;
        sq[occ[i] >= self->n_word] += v2;
        occ[n_feat] = occ[i];
        vals[n_feat++] = v;
        i = j;
    }
    for (Py_ssize_t c = 0; c < k; c++) z[c] = 0.0;
    for (Py_ssize_t f = 0; f < n_feat; f++) {
        double v = vals[f] / sqrt(sq[occ[f] >= self->n_word]);
        const double *row = W + occ[f] * k;
        for (Py_ssize_t c = 0; c < k; c++) {
            double t = v * row[c];
            z[c] += t;
        }
    }
    result = PyTuple_New(k);
    if (result == NULL) goto done;
    for (Py_ssize_t c = 0; c < k; c++) {
        PyObject *x = PyFloat_FromDouble(z[c] + bias[c]);
        if (x == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        PyTuple_SET_ITEM(result, c, x);
    }
done:
    PyMem_Free(arr);
    PyMem_Free(occ);
    PyMem_Free(vals);
    PyMem_Free(z);
    return result;
}

static PyMethodDef Scorer_methods[] = {
    {"logits", (PyCFunction)Scorer_logits, METH_VARARGS,
     "logits(folded, tokens): X @ W + bias of one note as a tuple, or None (count beyond the table)."},
    {NULL, NULL, 0, NULL}};

static PyTypeObject ScorerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "textmine._fastscore.Scorer",
    .tp_basicsize = sizeof(Scorer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Scorer(token_ids, char_keys, char_ids, word_keys, word_ids, idf, W, bias, log_table, n_word, "
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
