/* One-pass decoder of a source map's `mappings` string: the optional accelerator.
 *
 * Why: the numpy path (vlq.py, segments.py) runs ~15 whole-array passes over the string
 * and its items; on a 3.7 MB `mappings` their per-call and memory traffic cost ~30 ms.
 * This loop reads every character once and writes each segment's five absolute fields
 * directly, producing exactly what `segments.decode_segments` produces for valid input.
 *
 * Contract (see decoder.py `_decode_accelerated`):
 *   decode(mappings: bytes, source_count: int, name_count: int[, max_lines, max_segments])
 *     -> (line_starts: bytearray of int64, fields: bytearray of int32 [5][capacity],
 *         segment_count: int, capacity: int, ordered: bool)
 *     or None on ANY fault, a cap included (limits.py): lines are counted, and segments
 *     bounded (one after each `,`, at most one more per line), before anything is allocated.
 * It never explains a fault: on None the caller re-runs the numpy path, which raises the
 * pinned error with its message and offset. So this file only has to tell valid from
 * invalid, exactly as the numpy path does (the tests check both agree on every input).
 *
 * Plain C API and the buffer protocol only (no numpy headers): the wrapper views the
 * bytearrays with np.frombuffer, without copying.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define MAX_VALUE INT64_C(2147483647)
#define SIGNIFICANT_DIGITS 7 /* six digits carry 30 bits, a seventh two more (ECMA-426: 32-bit values) */

/* Byte -> base64 digit (0..63), or -1 for anything else (separators included). */
static int8_t DIGIT[256];

/* The five output columns, struct-of-arrays in one buffer. */
typedef struct {
    int32_t *column, *source, *original_line, *original_column, *name;
    int64_t *line_starts;
} Output;

/* Decode one VLQ value starting at s[*at]; 0 on success, -1 on a fault (invalid or
 * missing digit, or a value past 32 bits). Mirrors vlq.py: digits past the seventh are
 * padding and must carry no payload; raw 1 ("negative zero", `B`) stands for -2**31. */
static inline int
read_value(const unsigned char *s, Py_ssize_t n, Py_ssize_t *at, int64_t *value)
{
    uint64_t raw = 0;
    int place = 0;
    Py_ssize_t i = *at;
    for (;;) {
        if (i >= n)
            return -1; /* dangling continuation digit at the end */
        int digit = DIGIT[s[i++]];
        if (digit < 0)
            return -1; /* invalid character, or a separator cutting the value short */
        if (place < SIGNIFICANT_DIGITS)
            raw |= (uint64_t)(digit & 31) << (5 * place);
        else if (digit & 31)
            return -1; /* significant bits past 32 */
        place++;
        if (!(digit & 32))
            break;
    }
    *at = i;
    uint64_t magnitude = raw >> 1;
    if (magnitude > (uint64_t)MAX_VALUE)
        return -1;
    if (raw == 1)
        *value = -MAX_VALUE - 1;
    else
        *value = (raw & 1) ? -(int64_t)magnitude : (int64_t)magnitude;
    return 0;
}

/* The decode loop proper; runs without the GIL. Returns the segment count, or -1. */
static Py_ssize_t
decode_loop(const unsigned char *s, Py_ssize_t n, int64_t source_count, int64_t name_count,
            Output *out, Py_ssize_t capacity, Py_ssize_t lines, int *ordered)
{
    int64_t running[5] = {0, 0, 0, 0, 0}; /* column (restarts each line), source, line, column, name */
    int64_t delta[5];
    int fields = 0;          /* values read in the current slot */
    int slot_opens_line = 1; /* the slot began a line: only such a slot may be empty */
    int first_in_line = 1;   /* no segment yet on this line: its column is absolute */
    Py_ssize_t segment = 0, line = 0;

    *ordered = 1;
    out->line_starts[0] = 0;
    for (Py_ssize_t i = 0; i <= n;) {
        /* The end of the string closes the last slot like a `;` (but opens no line). */
        unsigned char c = i < n ? s[i] : ';';
        if (c != ',' && c != ';') {
            if (fields == 5)
                return -1; /* a sixth field */
            if (read_value(s, n, &i, &delta[fields]) < 0)
                return -1;
            fields++;
            continue;
        }
        if (fields == 0) {
            if (!(slot_opens_line && c == ';'))
                return -1; /* an empty segment that is not a whole empty line */
        } else {
            if (fields != 1 && fields != 4 && fields != 5)
                return -1;
            if (segment >= capacity)
                return -1; /* only if a bytearray input changed under us since it was sized */
            if (first_in_line) {
                running[0] = delta[0];
                first_in_line = 0;
            } else {
                if (delta[0] <= 0)
                    *ordered = 0; /* columns must strictly increase to skip the sort */
                running[0] += delta[0];
            }
            /* Every running value must stay in 0..2**31-1 (checked as it changes, so
             * int64 never overflows: |delta| <= 2**31). */
            if (running[0] < 0 || running[0] > MAX_VALUE)
                return -1;
            out->column[segment] = (int32_t)running[0];
            if (fields >= 4) {
                for (int f = 1; f < 4; f++) {
                    running[f] += delta[f];
                    if (running[f] < 0 || running[f] > MAX_VALUE)
                        return -1;
                }
                if (running[1] >= source_count)
                    return -1;
                out->source[segment] = (int32_t)running[1];
            } else {
                out->source[segment] = -1;
            }
            /* A 1-field segment carries the original position over (as the numpy path). */
            out->original_line[segment] = (int32_t)running[2];
            out->original_column[segment] = (int32_t)running[3];
            if (fields == 5) {
                running[4] += delta[4];
                if (running[4] < 0 || running[4] > MAX_VALUE || running[4] >= name_count)
                    return -1;
                out->name[segment] = (int32_t)running[4];
            } else {
                out->name[segment] = -1;
            }
            segment++;
            fields = 0;
        }
        if (c == ';') {
            if (i < n) {
                if (line + 1 >= lines)
                    return -1; /* as above: never for immutable bytes */
                out->line_starts[++line] = segment;
            }
            slot_opens_line = first_in_line = 1;
        } else {
            slot_opens_line = 0;
        }
        i++;
    }
    out->line_starts[line + 1] = segment;
    return segment;
}

static PyObject *
decode(PyObject *Py_UNUSED(module), PyObject *args)
{
    Py_buffer view;
    Py_ssize_t source_count, name_count, max_lines = PY_SSIZE_T_MAX, max_segments = PY_SSIZE_T_MAX;
    if (!PyArg_ParseTuple(args, "y*nn|nn", &view, &source_count, &name_count, &max_lines, &max_segments))
        return NULL;
    const unsigned char *s = view.buf;
    Py_ssize_t n = view.len, separators = 0, breaks = 0;

    /* Sizes first (one cheap, vectorizable pass): at most one segment per slot, one line
     * per `;`. So the outputs are allocated once, at their final size. */
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        separators += (s[i] == ',') | (s[i] == ';');
        breaks += s[i] == ';';
    }
    Py_END_ALLOW_THREADS

    Py_ssize_t capacity = separators + 1;
    PyObject *line_buffer = NULL, *field_buffer = NULL, *result = NULL;
    if (breaks >= max_lines || separators - breaks >= max_segments) {
        result = Py_NewRef(Py_None); /* past a cap: the numpy path raises too_large */
        goto done;
    }
    if (capacity > PY_SSIZE_T_MAX / 20) {
        PyErr_NoMemory();
        goto done;
    }
    line_buffer = PyByteArray_FromStringAndSize(NULL, (breaks + 2) * (Py_ssize_t)sizeof(int64_t));
    field_buffer = PyByteArray_FromStringAndSize(NULL, 5 * capacity * (Py_ssize_t)sizeof(int32_t));
    if (line_buffer == NULL || field_buffer == NULL)
        goto done;
    int32_t *fields = (int32_t *)PyByteArray_AS_STRING(field_buffer);
    Output out = {fields, fields + capacity, fields + 2 * capacity, fields + 3 * capacity,
                  fields + 4 * capacity, (int64_t *)PyByteArray_AS_STRING(line_buffer)};
    Py_ssize_t count;
    int ordered;
    /* The input is held through `view`, the outputs are ours: safe without the GIL. */
    Py_BEGIN_ALLOW_THREADS
    count = decode_loop(s, n, source_count, name_count, &out, capacity, breaks + 1, &ordered);
    Py_END_ALLOW_THREADS
    if (count < 0 || count > max_segments) {
        result = Py_NewRef(Py_None); /* a fault: the numpy path names it */
        goto done;
    }
    result = Py_BuildValue("(OOnnO)", line_buffer, field_buffer, count, capacity,
                           ordered ? Py_True : Py_False);
done:
    Py_XDECREF(line_buffer);
    Py_XDECREF(field_buffer);
    PyBuffer_Release(&view);
    return result;
}

static PyMethodDef methods[] = {
    {"decode", decode, METH_VARARGS,
     "decode(mappings, source_count, name_count[, max_lines, max_segments])"
     " -> (line_starts, fields, count, capacity, ordered) or None"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "symbols.sourcemaps._mappings",
    "One-pass `mappings` decoder; optional (decoder.py falls back to numpy).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__mappings(void)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int c = 0; c < 256; c++)
        DIGIT[c] = -1;
    for (int v = 0; v < 64; v++)
        DIGIT[(unsigned char)alphabet[v]] = (int8_t)v;
    PyObject *m = PyModule_Create(&module);
    /* The wrapper checks this, so that a stale build (the .so is not in git) of an older
     * contract is ignored rather than misread. Bump it with any change to `decode`'s result. */
    if (m != NULL && PyModule_AddIntConstant(m, "CONTRACT", 2) < 0)
        Py_CLEAR(m);
    return m;
}
