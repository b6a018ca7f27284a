/* Reads k6's NDJSON sample stream (`--out json`) into per-(second, tag set, metric) sums, in C.

   The Python reader (runners/k6/ingest.py) costs about 10 us per HTTP request at k6's full rate; this one
   reads the same Point lines and keeps, per (second, tag set) and metric: the sample count, how many were
   zero and non-zero, their sum, min, max, last value and its line number, and the log-bucket counts both
   Python histograms would make of them (the metric model's, GAMMA 1.02, and the HTTP view's, GAMMA 1.01,
   the latter for http_req_duration only). Every number is what the Python fold computes from the values:
   the same libm log, the same multiply and floor.

   A line it does not read in full (a Metric line, a tag value holding a brace, anything odd) is handed back
   by position, in order, for the Python reader. Nothing is printed; nothing is allocated past the caller's
   take but the output buffer. Memory errors are reported (LW_NOMEM) and leave the state readable.

   A run writing thousands of distinct tag sets a second (a URL per request) costs more here than in the
   Python reader, which keeps a request's lines as one row: the caller bounds the groups (max_groups) and
   reads on in Python past them.

   Built by runners/k6/native/build.py (gcc -O2 -shared); loaded with ctypes (runners/k6/native_scan.py). */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LW_NOMEM (-1)
#define LW_FULL 1
#define SEC_LEN 19
#define SPARSE_MAX 16
#define RECENT 4

/* Counts per bucket index: a few (index, count) pairs, then a dense range once it holds more. */
typedef struct {
    int32_t n;        /* pairs in sparse use; -1 once dense */
    int32_t cap;
    int32_t lo;       /* dense: index of counts[0] */
    int32_t *idx;     /* sparse indices (NULL once dense) */
    uint32_t *counts; /* sparse counts, or dense counts over [lo, lo + cap) */
} hist;

typedef struct {
    char *name;
    uint32_t name_len;
    int64_t n, nonzero, zeros, seq;
    double total, min, max, last;
    hist pos, neg, view; /* model buckets of |v| for v > 0 and v < 0; the HTTP view's (duration only) */
    int64_t view_zero;   /* durations at or below the view's floor */
    int is_duration;
    int wants_hist; /* a Trend, or a metric not declared yet: its buckets are counted */
} metric_agg;

typedef struct {
    uint64_t hash;
    char *key; /* second (19 bytes) then the tag set */
    uint32_t key_len;
    uint32_t n_metrics, cap_metrics;
    metric_agg *metrics;
} tagset;

typedef struct {
    tagset **slots;
    uint32_t n_slots, used;
    tagset **order; /* by first sight */
    uint32_t n_order, cap_order;
    int64_t seq;    /* Point lines read so far (shared numbering with the lines handed back) */
    int64_t lines;
    char *out;
    int64_t *other; /* (offset, length, line number) per line handed back by the last scan */
    size_t n_other, cap_other;
    double inv_log_model, inv_log_view, view_floor;
    tagset *prev_set; /* the previous line's tag set (a request's lines share one) */
    tagset *recent[RECENT]; /* the latest tag sets, newest first: a request, its check, its iteration */
    size_t scanned;
    uint32_t prev_metric;
    char **plain; /* metrics k6 declared as Counter, Gauge or Rate: no buckets (their folds use none) */
    uint32_t *plain_len;
    uint32_t n_plain, cap_plain;
} scanner;

/* A key's hash, eight bytes at a time (a byte-wise hash of a 200-byte tag set took half the reader's time). */
static uint64_t hash_key(const char *p, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, n);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ULL;
    return h ^ (h >> 29);
}

static void hist_free(hist *h) {
    free(h->idx);
    free(h->counts);
    memset(h, 0, sizeof *h);
}

static int hist_to_dense(hist *h, int32_t at) {
    int32_t lo = at, hi = at;
    for (int32_t i = 0; i < h->n; i++) {
        if (h->idx[i] < lo) lo = h->idx[i];
        if (h->idx[i] > hi) hi = h->idx[i];
    }
    int32_t cap = (hi - lo + 1) * 2;
    int32_t start = lo - (hi - lo + 1) / 2;
    uint32_t *c = calloc((size_t)cap, sizeof *c);
    if (!c) return LW_NOMEM;
    for (int32_t i = 0; i < h->n; i++) c[h->idx[i] - start] += h->counts[i];
    free(h->idx);
    free(h->counts);
    h->idx = NULL;
    h->counts = c;
    h->cap = cap;
    h->lo = start;
    h->n = -1;
    return 0;
}

static int hist_add(hist *h, int32_t at) {
    if (h->n >= 0) {
        for (int32_t i = h->n - 1; i >= 0; i--) {
            if (h->idx[i] == at) {
                h->counts[i]++;
                return 0;
            }
        }
        if (h->n < SPARSE_MAX) {
            if (h->n == h->cap) {
                int32_t cap = h->cap ? h->cap * 2 : 4;
                int32_t *idx = realloc(h->idx, (size_t)cap * sizeof *idx);
                if (!idx) return LW_NOMEM;
                h->idx = idx;
                uint32_t *counts = realloc(h->counts, (size_t)cap * sizeof *counts);
                if (!counts) return LW_NOMEM;
                h->counts = counts;
                h->cap = cap;
            }
            h->idx[h->n] = at;
            h->counts[h->n] = 1;
            h->n++;
            return 0;
        }
        if (hist_to_dense(h, at)) return LW_NOMEM;
    }
    if (at < h->lo || at >= h->lo + h->cap) {
        int32_t lo = at < h->lo ? at : h->lo;
        int32_t hi = at >= h->lo + h->cap ? at : h->lo + h->cap - 1;
        int32_t span = hi - lo + 1;
        int32_t cap = span * 2;
        int32_t start = at < h->lo ? lo - span / 2 : lo;
        uint32_t *c = calloc((size_t)cap, sizeof *c);
        if (!c) return LW_NOMEM;
        memcpy(c + (h->lo - start), h->counts, (size_t)h->cap * sizeof *c);
        free(h->counts);
        h->counts = c;
        h->lo = start;
        h->cap = cap;
    }
    h->counts[at - h->lo]++;
    return 0;
}

static uint32_t hist_cells(const hist *h) {
    if (h->n >= 0) return (uint32_t)h->n;
    uint32_t k = 0;
    for (int32_t i = 0; i < h->cap; i++) k += h->counts[i] != 0;
    return k;
}

scanner *lw_new(double gamma_model, double gamma_view, double view_floor) {
    scanner *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->inv_log_model = 1.0 / log(gamma_model);
    s->inv_log_view = 1.0 / log(gamma_view);
    s->view_floor = view_floor;
    return s;
}

static void clear_sets(scanner *s) {
    for (uint32_t i = 0; i < s->n_order; i++) {
        tagset *t = s->order[i];
        for (uint32_t m = 0; m < t->n_metrics; m++) {
            metric_agg *a = &t->metrics[m];
            free(a->name);
            hist_free(&a->pos);
            hist_free(&a->neg);
            hist_free(&a->view);
        }
        free(t->metrics);
        free(t->key);
        free(t);
    }
    s->n_order = 0;
    if (s->slots) memset(s->slots, 0, (size_t)s->n_slots * sizeof *s->slots);
    s->used = 0;
    s->prev_set = NULL;
    memset(s->recent, 0, sizeof s->recent);
}

void lw_free(scanner *s) {
    if (!s) return;
    clear_sets(s);
    free(s->slots);
    free(s->order);
    free(s->out);
    free(s->other);
    for (uint32_t i = 0; i < s->n_plain; i++) free(s->plain[i]);
    free(s->plain);
    free(s->plain_len);
    free(s);
}

static int grow_slots(scanner *s) {
    uint32_t n = s->n_slots ? s->n_slots * 2 : 256;
    tagset **slots = calloc(n, sizeof *slots);
    if (!slots) return LW_NOMEM;
    for (uint32_t i = 0; i < s->n_order; i++) {
        tagset *t = s->order[i];
        uint32_t j = (uint32_t)t->hash & (n - 1);
        while (slots[j]) j = (j + 1) & (n - 1);
        slots[j] = t;
    }
    free(s->slots);
    s->slots = slots;
    s->n_slots = n;
    return 0;
}

static tagset *find_set(scanner *s, const char *key, uint32_t len) {
    uint64_t h = hash_key(key, len);
    if ((s->used + 1) * 2 > s->n_slots && grow_slots(s)) return NULL;
    uint32_t j = (uint32_t)h & (s->n_slots - 1);
    for (;;) {
        tagset *t = s->slots[j];
        if (!t) break;
        if (t->hash == h && t->key_len == len && memcmp(t->key, key, len) == 0) return t;
        j = (j + 1) & (s->n_slots - 1);
    }
    if (s->n_order == s->cap_order) {
        uint32_t cap = s->cap_order ? s->cap_order * 2 : 256;
        tagset **order = realloc(s->order, cap * sizeof *order);
        if (!order) return NULL;
        s->order = order;
        s->cap_order = cap;
    }
    tagset *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->key = malloc(len ? len : 1);
    if (!t->key) {
        free(t);
        return NULL;
    }
    memcpy(t->key, key, len);
    t->key_len = len;
    t->hash = h;
    s->slots[j] = t;
    s->used++;
    s->order[s->n_order++] = t;
    return t;
}

static metric_agg *find_metric(scanner *s, tagset *t, const char *name, uint32_t len) {
    uint32_t hint = s->prev_set == t ? s->prev_metric + 1 : 0;
    for (uint32_t k = 0; k < t->n_metrics; k++) {
        uint32_t m = (hint + k) % t->n_metrics;
        metric_agg *a = &t->metrics[m];
        if (a->name_len == len && memcmp(a->name, name, len) == 0) {
            s->prev_metric = m;
            return a;
        }
    }
    if (t->n_metrics == t->cap_metrics) {
        uint32_t cap = t->cap_metrics ? t->cap_metrics * 2 : 4;
        metric_agg *ms = realloc(t->metrics, cap * sizeof *ms);
        if (!ms) return NULL;
        t->metrics = ms;
        t->cap_metrics = cap;
    }
    metric_agg *a = &t->metrics[t->n_metrics];
    memset(a, 0, sizeof *a);
    a->name = malloc(len ? len : 1);
    if (!a->name) return NULL;
    memcpy(a->name, name, len);
    a->name_len = len;
    a->min = INFINITY;
    a->max = -INFINITY;
    a->is_duration = len == 17 && memcmp(name, "http_req_duration", 17) == 0;
    a->wants_hist = 1;
    for (uint32_t i = 0; i < s->n_plain; i++) {
        if (s->plain_len[i] == len && memcmp(s->plain[i], name, len) == 0) a->wants_hist = 0;
    }
    s->prev_metric = t->n_metrics++;
    return a;
}

static int add_value(scanner *s, metric_agg *a, double v) {
    a->n++;
    a->total += v;
    if (v < a->min) a->min = v;
    if (v > a->max) a->max = v;
    a->last = v;
    a->seq = s->seq;
    if (!a->wants_hist) {
        if (v == 0.0) {
            a->zeros++;
        } else {
            a->nonzero++;
        }
        return 0;
    }
    if (v == 0.0) {
        a->zeros++;
        if (a->is_duration) a->view_zero++;
        return 0;
    }
    a->nonzero++;
    double l = v == 1.0 ? 0.0 : log(v > 0 ? v : -v);
    if (hist_add(v > 0 ? &a->pos : &a->neg, (int32_t)floor(l * s->inv_log_model))) return LW_NOMEM;
    if (a->is_duration) {
        if (v <= s->view_floor) {
            a->view_zero++;
        } else if (hist_add(&a->view, (int32_t)floor(l * s->inv_log_view))) {
            return LW_NOMEM;
        }
    }
    return 0;
}

#define MAX_PLAIN 4096

/* A Metric line (handed back to Python all the same): a metric declared other than a Trend needs no buckets. */
static int metric_line(scanner *s, const char *p, const char *e) {
    static const char head[] = "{\"type\":\"Metric\",\"data\":{\"name\":\"";
    static const char kind[] = "\",\"type\":\"";
    if ((size_t)(e - p) < sizeof head - 1 || memcmp(p, head, sizeof head - 1) != 0) return 0;
    const char *name = p + sizeof head - 1;
    const char *q = memchr(name, '"', (size_t)(e - name));
    if (!q || q == name || (size_t)(e - q) < sizeof kind - 1 + 5 || memcmp(q, kind, sizeof kind - 1) != 0) return 0;
    const char *type = q + sizeof kind - 1;
    if (memcmp(type, "trend", 5) == 0 || s->n_plain >= MAX_PLAIN) return 0;
    uint32_t len = (uint32_t)(q - name);
    for (uint32_t i = 0; i < s->n_plain; i++) {
        if (s->plain_len[i] == len && memcmp(s->plain[i], name, len) == 0) return 0;
    }
    if (s->n_plain == s->cap_plain) {
        uint32_t cap = s->cap_plain ? s->cap_plain * 2 : 16;
        char **names = realloc(s->plain, cap * sizeof *names);
        if (!names) return LW_NOMEM;
        s->plain = names;
        uint32_t *lens = realloc(s->plain_len, cap * sizeof *lens);
        if (!lens) return LW_NOMEM;
        s->plain_len = lens;
        s->cap_plain = cap;
    }
    char *copy = malloc(len);
    if (!copy) return LW_NOMEM;
    memcpy(copy, name, len);
    s->plain[s->n_plain] = copy;
    s->plain_len[s->n_plain++] = len;
    return 0;
}

static int hand_back(scanner *s, const char *buf, const char *p, const char *e) {
    if (s->n_other + 3 > s->cap_other) {
        size_t cap = s->cap_other ? s->cap_other * 2 : 96;
        int64_t *o = realloc(s->other, cap * sizeof *o);
        if (!o) return LW_NOMEM;
        s->other = o;
        s->cap_other = cap;
    }
    s->other[s->n_other++] = p - buf;
    s->other[s->n_other++] = e - p;
    s->other[s->n_other++] = s->seq;
    return 0;
}

static const double POW10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The number in [p, e), as Python's float() reads it (correctly rounded): digits with an optional point
   and at most 15 significant digits are one exact integer divided by an exact power of ten, which IEEE
   division rounds correctly; anything else (exponents, longer mantissas) goes to strtod. 1 when read. */
static int number(const char *p, const char *e, double *out) {
    const char *s = p;
    int neg = 0;
    if (s < e && *s == '-') {
        neg = 1;
        s++;
    }
    uint64_t m = 0;
    int digits = 0, frac = 0, seen_point = 0;
    const char *d = s;
    for (; d < e; d++) {
        if (*d >= '0' && *d <= '9') {
            m = m * 10 + (uint64_t)(*d - '0');
            if (m) digits++;
            frac += seen_point;
        } else if (*d == '.' && !seen_point) {
            seen_point = 1;
        } else {
            break;
        }
    }
    if (d == e && d > s && !(seen_point && d == s + 1) && digits <= 15 && frac <= 22) {
        double v = (double)m / POW10[frac];
        *out = neg ? -v : v;
        return 1;
    }
    char tmp[64];
    size_t n = (size_t)(e - p);
    if (n == 0 || n >= sizeof tmp) return 0;
    memcpy(tmp, p, n);
    tmp[n] = 0;
    char *end;
    *out = strtod(tmp, &end);
    return end == tmp + n;
}

#define LIT(p, e, s) ((size_t)((e) - (p)) >= sizeof(s) - 1 && memcmp((p), (s), sizeof(s) - 1) == 0)

/* One Point line [p, e) (e at its newline): 1 when read, 0 when it is not one this reader takes. */
static int point_line(scanner *s, const char *p, const char *e) {
    static const char head[] = "{\"metric\":\"";
    static const char mid[] = "\",\"type\":\"Point\",\"data\":{\"time\":\"";
    static const char val[] = "\",\"value\":";
    static const char tg[] = ",\"tags\":{";
    static const char meta[] = ",\"metadata\":{";
    if (!LIT(p, e, head)) return 0;
    const char *name = p + sizeof head - 1;
    const char *q = memchr(name, '"', (size_t)(e - name));
    if (!q || q == name || memchr(name, '\\', (size_t)(q - name))) return 0;
    uint32_t name_len = (uint32_t)(q - name);
    if (!LIT(q, e, mid)) return 0;
    const char *stamp = q + sizeof mid - 1;
    q = memchr(stamp, '"', (size_t)(e - stamp));
    if (!q || q - stamp < SEC_LEN) return 0;
    if (!LIT(q, e, val)) return 0;
    const char *num = q + sizeof val - 1;
    q = memchr(num, ',', (size_t)(e - num));
    if (!q || q == num) return 0;
    double v;
    if (!number(num, q, &v) || !isfinite(v)) return 0; /* (k6 writes no infinities; the Python reader decides) */
    if (!LIT(q, e, tg)) return 0;
    const char *tags = q + sizeof tg - 2; /* at its brace */
    q = memchr(tags, '}', (size_t)(e - tags));
    if (!q) return 0;
    const char *tags_end = q + 1;
    /* The line's end: `}}` or `,"metadata":{...}}}`, as the Python expressions accept. */
    if (e - tags_end == 2 && tags_end[0] == '}' && tags_end[1] == '}') {
    } else if (LIT(tags_end, e, meta)) {
        const char *m = tags_end + sizeof meta - 1;
        const char *mc = memchr(m, '}', (size_t)(e - m));
        if (!mc || e - mc != 3 || mc[1] != '}' || mc[2] != '}') return 0;
    } else {
        return 0;
    }
    /* The key: the second (time's first 19 bytes), then the tags. They lie apart in the line, so the key is
       built in a small buffer when the tag set is new to this line's neighbour. */
    uint32_t tags_len = (uint32_t)(tags_end - tags);
    tagset *t = NULL;
    for (int r = 0; r < RECENT && s->recent[r]; r++) {
        tagset *c = s->recent[r];
        if (c->key_len == SEC_LEN + tags_len && memcmp(c->key + SEC_LEN, tags, tags_len) == 0 &&
            memcmp(c->key, stamp, SEC_LEN) == 0) {
            t = c;
            for (; r > 0; r--) s->recent[r] = s->recent[r - 1];
            s->recent[0] = t;
            break;
        }
    }
    if (!t) {
        char small[1024];
        char *key = SEC_LEN + tags_len <= sizeof small ? small : malloc(SEC_LEN + tags_len);
        if (!key) return LW_NOMEM;
        memcpy(key, stamp, SEC_LEN);
        memcpy(key + SEC_LEN, tags, tags_len);
        t = find_set(s, key, SEC_LEN + tags_len);
        if (key != small) free(key);
        if (!t) return LW_NOMEM;
        memmove(s->recent + 1, s->recent, (RECENT - 1) * sizeof *s->recent);
        s->recent[0] = t;
    }
    metric_agg *a = find_metric(s, t, name, name_len);
    if (!a) return LW_NOMEM;
    s->prev_set = t;
    s->seq++;
    return add_value(s, a, v) ? LW_NOMEM : 1;
}

/* Reads the whole lines of buf[0:len] (the caller cuts at a newline). Returns 0; LW_FULL when it stopped
   after the line that made more than max_groups (second, tag set) groups; LW_NOMEM when memory ran out.
   s->scanned tells how far it read; s->other lists the lines not read. */
static int lw_scan(scanner *s, const char *buf, size_t len, uint32_t max_groups) {
    s->n_other = 0;
    const char *p = buf, *end = buf + len;
    s->scanned = 0;
    while (p < end) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e) e = end;
        s->lines++;
        int got = point_line(s, p, e);
        if (got == LW_NOMEM) return LW_NOMEM;
        if (!got) {
            if (metric_line(s, p, e) || hand_back(s, buf, p, e)) return LW_NOMEM;
            s->seq++; /* numbered with the lines read here: a Gauge's last sample is the latest either way */
        }
        p = e + 1;
        s->scanned = (size_t)(p - buf);
        if (s->n_order > max_groups) return LW_FULL;
    }
    return 0;
}

/* lw_scan of buf[at:at + len] with everything the caller reads after it in one call (each call from Python
   costs microseconds, a slice of 37 kB about 11 requests' worth): info gets the return code, how far it read
   (from at), the triples handed back, the lines and the groups so far. Returns the triples: (offset,
   length, line number) of each line it did not read. */
const int64_t *lw_scan_at(scanner *s, const char *buf, size_t at, size_t len, uint32_t max_groups,
                          int64_t *info) {
    int rc = lw_scan(s, buf + at, len, max_groups);
    info[0] = rc;
    info[1] = (int64_t)s->scanned;
    info[2] = (int64_t)(s->n_other / 3);
    info[3] = s->lines;
    info[4] = s->n_order;
    return s->other;
}

/* Counts of a histogram written as (index, count) pairs. */
static int32_t *put_hist(int32_t *w, const hist *h) {
    if (h->n >= 0) {
        for (int32_t i = 0; i < h->n; i++) {
            *w++ = h->idx[i];
            *w++ = (int32_t)h->counts[i];
        }
    } else {
        for (int32_t i = 0; i < h->cap; i++) {
            if (h->counts[i]) {
                *w++ = h->lo + i;
                *w++ = (int32_t)h->counts[i];
            }
        }
    }
    return w;
}

#define PAD8(x) (((x) + 7) & ~(size_t)7)

/* Everything read since the last take, as one buffer, and the state emptied. Per tag set, in first-seen
   order: uint32 key_len, uint32 n_metrics, the key (second + tags) padded to 8; then per metric:
   int64 n, nonzero, zeros, seq, view_zero; double total, min, max, last; uint32 name_len, n_pos, n_neg,
   n_view; the name padded to 8; then int32 (index, count) pairs of pos, neg, view, padded to 8. */
const char *lw_take(scanner *s, size_t *len, uint32_t *n_sets) {
    size_t size = 0;
    for (uint32_t i = 0; i < s->n_order; i++) {
        tagset *t = s->order[i];
        size += 8 + PAD8(t->key_len);
        for (uint32_t m = 0; m < t->n_metrics; m++) {
            metric_agg *a = &t->metrics[m];
            uint32_t cells = hist_cells(&a->pos) + hist_cells(&a->neg) + hist_cells(&a->view);
            size += 5 * 8 + 4 * 8 + 16 + PAD8(a->name_len) + PAD8((size_t)cells * 8);
        }
    }
    free(s->out);
    s->out = malloc(size ? size : 1);
    if (!s->out) {
        *len = 0;
        *n_sets = 0;
        return NULL;
    }
    char *w = s->out;
    for (uint32_t i = 0; i < s->n_order; i++) {
        tagset *t = s->order[i];
        memcpy(w, &t->key_len, 4);
        memcpy(w + 4, &t->n_metrics, 4);
        w += 8;
        memset(w, 0, PAD8(t->key_len));
        memcpy(w, t->key, t->key_len);
        w += PAD8(t->key_len);
        for (uint32_t m = 0; m < t->n_metrics; m++) {
            metric_agg *a = &t->metrics[m];
            int64_t ints[5] = {a->n, a->nonzero, a->zeros, a->seq, a->view_zero};
            double dbl[4] = {a->total, a->min, a->max, a->last};
            uint32_t sizes[4] = {a->name_len, hist_cells(&a->pos), hist_cells(&a->neg), hist_cells(&a->view)};
            memcpy(w, ints, sizeof ints);
            w += sizeof ints;
            memcpy(w, dbl, sizeof dbl);
            w += sizeof dbl;
            memcpy(w, sizes, sizeof sizes);
            w += sizeof sizes;
            memset(w, 0, PAD8(a->name_len));
            memcpy(w, a->name, a->name_len);
            w += PAD8(a->name_len);
            size_t cells = (size_t)sizes[1] + sizes[2] + sizes[3];
            memset(w, 0, PAD8(cells * 8));
            int32_t *c = (int32_t *)w;
            c = put_hist(c, &a->pos);
            c = put_hist(c, &a->neg);
            put_hist(c, &a->view);
            w += PAD8(cells * 8);
        }
    }
    *len = size;
    *n_sets = s->n_order;
    clear_sets(s);
    return s->out;
}
