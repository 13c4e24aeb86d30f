/* The arena plan check, the verifier's last step over the graph: the file's arena_size and
   tensor offsets against what they must be for the planner's lifetimes (converter/planner.py).
   A tensor lives from the node that writes it to the last node that reads it, both inclusive;
   graph inputs from the start and graph outputs to the end of the run. Two tensors live at the
   same node must not share a byte, or one clobbers the other and the answers change from
   invoke to invoke. The one exception: a node's output on exactly the bytes of one of its
   inputs that dies at that node (the planner runs RESHAPE so; the element-wise kernels allow
   it too, and their checks refuse a partial overlap). A graph input never dies: a caller may
   set it once and invoke again and again. O(n log n) in the tensor count. */
#include <string.h>

#include "interp.h"

static uint64_t round_up64(uint64_t n) {
    return (n + 63) & ~(uint64_t)63;
}

/* A declared arena larger than its tensors would make allocate reserve memory no tensor
   uses; the planner rounds the end of the last tensor up to 64, so that much slack is fine. */
static ember_status check_arena_need(ember_context *ctx, const ember_model *m) {
    uint64_t need = 0;
    for (uint32_t i = 0; i < m->tensor_count; i++) {
        const ember_tensor *t = &m->tensors[i];
        if (t->arena_offset >= 0 && (uint64_t)t->arena_offset + t->bytes > need)
            need = (uint64_t)t->arena_offset + t->bytes;
    }
    if (m->arena_size > round_up64(need))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "arena size %llu is more than the plan needs: its tensors end at byte "
                          "%llu, so at most %llu (rounded up to 64) is allowed",
                          (unsigned long long)m->arena_size, (unsigned long long)need,
                          (unsigned long long)round_up64(need));
    return EMBER_STATUS_OK;
}

#define NOT_LIVE UINT32_MAX

typedef struct span {
    uint32_t first, last; /* nodes, inclusive; last == node_count: to the end of the run */
    int32_t in_place_of;  /* the dying input whose bytes this output takes exactly, or -1 */
    uint8_t in_tree;      /* its bytes are marked in the sweep's tree */
} span;

/* The sweep's temporary state, in one block from the allocator. */
typedef struct plan {
    span *spans;          /* per tensor; first == NOT_LIVE for tensors nothing refers to */
    uint64_t *by_first;   /* (first << 32 | tensor) of the swept tensors, sorted */
    uint64_t *by_last;    /* (last << 32 | tensor), sorted */
    uint64_t *coords;     /* distinct byte offsets where a swept tensor starts or ends */
    int32_t *tmax, *tadd; /* segment tree over [coords[k], coords[k+1]): live tensors there */
    uint32_t swept, ncoords, leaves;
} plan;

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static bool in_arena(const ember_tensor *t) {
    return t->arena_offset >= 0;
}

static void touch(span *s, uint32_t node) {
    if (s->first == NOT_LIVE || node < s->first)
        s->first = node;
    if (node > s->last)
        s->last = node;
}

static void mark_in_place(const ember_model *m, span *spans, const ember_node *n) {
    for (uint32_t k = 0; k < n->output_count; k++) {
        const ember_tensor *dst = &m->tensors[n->outputs[k]];
        for (uint32_t j = 0; j < n->input_count && in_arena(dst); j++) {
            const int32_t in = n->inputs[j];
            const ember_tensor *src = in >= 0 ? &m->tensors[in] : NULL;
            if (src != NULL && in_arena(src) && spans[in].last == n->index &&
                src->arena_offset == dst->arena_offset && src->bytes == dst->bytes) {
                spans[n->outputs[k]].in_place_of = in;
                break;
            }
        }
    }
}

/* Graph inputs and outputs have last == node_count, so an input dying at a node (last == the
   node) is never one of them, as the planner requires. */
static void fill_spans(const ember_model *m, span *spans) {
    const uint32_t end = m->node_count;
    for (uint32_t i = 0; i < m->tensor_count; i++)
        spans[i] = (span){NOT_LIVE, 0, -1, 0};
    for (uint32_t k = 0; k < m->inputs.len; k++) {
        span *s = &spans[ember_fb_vector_i32(&m->inputs, k)];
        touch(s, 0);
        touch(s, end);
    }
    for (uint32_t k = 0; k < m->outputs.len; k++)
        touch(&spans[ember_fb_vector_i32(&m->outputs, k)], end);
    for (uint32_t i = 0; i < end; i++) {
        const ember_node *n = &m->nodes[i];
        for (uint32_t k = 0; k < n->input_count; k++)
            if (n->inputs[k] >= 0)
                touch(&spans[n->inputs[k]], i);
        for (uint32_t k = 0; k < n->run_if_count; k++)
            touch(&spans[n->run_if[k] >= 0 ? n->run_if[k] : -1 - n->run_if[k]], i);
        for (uint32_t k = 0; k < n->output_count; k++)
            touch(&spans[n->outputs[k]], i);
    }
    for (uint32_t i = 0; i < end; i++)
        mark_in_place(m, spans, &m->nodes[i]);
}

static uint32_t coord_index(const plan *p, uint64_t x) {
    uint32_t lo = 0, hi = p->ncoords;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (p->coords[mid] <= x)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Adds v to leaves [l, r) under tree node `node`, which covers leaves [nl, nr). */
static void tree_add(plan *p, uint32_t node, uint32_t nl, uint32_t nr, uint32_t l, uint32_t r,
                     int32_t v) {
    if (r <= nl || nr <= l)
        return;
    if (l <= nl && nr <= r) {
        p->tadd[node] += v;
        p->tmax[node] += v;
        return;
    }
    uint32_t mid = nl + (nr - nl) / 2;
    tree_add(p, 2 * node, nl, mid, l, r, v);
    tree_add(p, 2 * node + 1, mid, nr, l, r, v);
    int32_t a = p->tmax[2 * node], b = p->tmax[2 * node + 1];
    p->tmax[node] = p->tadd[node] + (a > b ? a : b);
}

/* The largest count over leaves [l, r) under `node`. */
static int32_t tree_max(const plan *p, uint32_t node, uint32_t nl, uint32_t nr, uint32_t l,
                        uint32_t r) {
    if (r <= nl || nr <= l)
        return 0;
    if (l <= nl && nr <= r)
        return p->tmax[node];
    uint32_t mid = nl + (nr - nl) / 2;
    int32_t a = tree_max(p, 2 * node, nl, mid, l, r);
    int32_t b = tree_max(p, 2 * node + 1, mid, nr, l, r);
    return p->tadd[node] + (a > b ? a : b);
}

static void tree_mark(plan *p, const ember_tensor *t, uint32_t i, int32_t v) {
    uint64_t start = (uint64_t)t->arena_offset;
    tree_add(p, 1, 0, p->leaves, coord_index(p, start), coord_index(p, start + t->bytes), v);
    p->spans[i].in_tree = v > 0;
}

static const char *life_str(char *buf, size_t n, const span *s, uint32_t end) {
    if (s->last == end)
        ember_format(buf, n, "live from node %" PRIu32 " to the end of the run", s->first);
    else
        ember_format(buf, n, "live at nodes %" PRIu32 "..%" PRIu32, s->first, s->last);
    return buf;
}

/* Finds a live tensor that shares bytes with tensor i (there is one: the tree said so). */
static ember_status report_overlap(ember_context *ctx, const ember_model *m, const plan *p,
                                   uint32_t i) {
    const ember_tensor *a = &m->tensors[i];
    uint64_t a0 = (uint64_t)a->arena_offset, a1 = a0 + a->bytes;
    uint32_t j = 0;
    for (; j < m->tensor_count; j++) {
        const ember_tensor *b = &m->tensors[j];
        uint64_t b0 = (uint64_t)b->arena_offset;
        if (j != i && p->spans[j].in_tree && b0 < a1 && a0 < b0 + b->bytes)
            break;
    }
    if (j == m->tensor_count)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "tensor %" PRIu32 " '%s' overlaps a live tensor in the arena", i,
                          a->name);
    const ember_tensor *b = &m->tensors[j];
    char la[64], lb[64];
    return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                      "tensors %" PRIu32 " '%s' (%zu bytes at arena offset %lld, %s) and "
                      "%" PRIu32 " '%s' (%zu bytes at arena offset %lld, %s) overlap in the "
                      "arena while both are live",
                      j, b->name, b->bytes, (long long)b->arena_offset,
                      life_str(lb, sizeof lb, &p->spans[j], m->node_count), i, a->name,
                      a->bytes, (long long)a->arena_offset,
                      life_str(la, sizeof la, &p->spans[i], m->node_count));
}

/* Tensors in order of their first node; before each is marked in the tree, those whose last
   node is earlier are unmarked, so the tree holds exactly the tensors live at that node. */
static ember_status sweep(ember_context *ctx, const ember_model *m, plan *p) {
    uint32_t e = 0;
    for (uint32_t k = 0; k < p->swept; k++) {
        const uint32_t i = (uint32_t)p->by_first[k], first = (uint32_t)(p->by_first[k] >> 32);
        for (; e < p->swept && (uint32_t)(p->by_last[e] >> 32) < first; e++) {
            uint32_t j = (uint32_t)p->by_last[e];
            if (p->spans[j].in_tree)
                tree_mark(p, &m->tensors[j], j, -1);
        }
        int32_t src = p->spans[i].in_place_of;
        if (src >= 0 && p->spans[src].in_tree)
            tree_mark(p, &m->tensors[src], (uint32_t)src, -1);
        const ember_tensor *t = &m->tensors[i];
        uint64_t start = (uint64_t)t->arena_offset;
        if (tree_max(p, 1, 0, p->leaves, coord_index(p, start),
                     coord_index(p, start + t->bytes)) > 0)
            return report_overlap(ctx, m, p, i);
        tree_mark(p, t, i, 1);
    }
    return EMBER_STATUS_OK;
}

/* Carves the plan's arrays out of one block; NULL when their size overflows. */
static void *plan_alloc(ember_context *ctx, plan *p, uint32_t n) {
    uint64_t leaves = 1;
    while (leaves < 2 * (uint64_t)n)
        leaves *= 2;
    const uint64_t bytes = (uint64_t)n * (sizeof(span) + 4 * sizeof(uint64_t)) +
                           leaves * 4 * sizeof(int32_t);
    void *block = bytes <= SIZE_MAX ? ember_temp_alloc(ctx, (size_t)bytes) : NULL;
    if (block == NULL) {
        ember_fail(ctx, EMBER_STATUS_NO_MEMORY,
                   "out of memory: %llu bytes to check the arena plan of %" PRIu32 " tensors",
                   (unsigned long long)bytes, n);
        return NULL;
    }
    p->by_first = block;
    p->by_last = p->by_first + n;
    p->coords = p->by_last + n;
    p->tmax = (int32_t *)(p->coords + 2 * (size_t)n);
    p->tadd = p->tmax + 2 * (size_t)leaves;
    p->spans = (span *)(p->tadd + 2 * (size_t)leaves);
    memset(p->tmax, 0, 4 * (size_t)leaves * sizeof(int32_t));
    return block;
}

/* Collects the tensors that take arena bytes while live, and the distinct ends of them. */
static void collect(const ember_model *m, plan *p) {
    p->swept = 0;
    for (uint32_t i = 0; i < m->tensor_count; i++) {
        const ember_tensor *t = &m->tensors[i];
        const span *s = &p->spans[i];
        if (!in_arena(t) || s->first == NOT_LIVE || t->bytes == 0)
            continue;
        p->by_first[p->swept] = (uint64_t)s->first << 32 | i;
        p->by_last[p->swept] = (uint64_t)s->last << 32 | i;
        p->coords[2 * p->swept] = (uint64_t)t->arena_offset;
        p->coords[2 * p->swept + 1] = (uint64_t)t->arena_offset + t->bytes;
        p->swept++;
    }
    ember_sort(p->by_first, p->swept, sizeof(uint64_t), cmp_u64);
    ember_sort(p->by_last, p->swept, sizeof(uint64_t), cmp_u64);
    ember_sort(p->coords, 2 * (size_t)p->swept, sizeof(uint64_t), cmp_u64);
    p->ncoords = 0;
    for (size_t k = 0; k < 2 * (size_t)p->swept; k++)
        if (p->ncoords == 0 || p->coords[k] != p->coords[p->ncoords - 1])
            p->coords[p->ncoords++] = p->coords[k];
}

ember_status ember_check_arena_plan(ember_context *ctx, const ember_model *m) {
    ember_status st = check_arena_need(ctx, m);
    if (st != EMBER_STATUS_OK || m->tensor_count == 0)
        return st;
    plan p;
    void *block = plan_alloc(ctx, &p, m->tensor_count);
    if (block == NULL)
        return EMBER_STATUS_NO_MEMORY;
    fill_spans(m, p.spans);
    collect(m, &p);
    /* Leaves are the spans between neighbouring coordinates: ncoords - 1 <= 2n - 1. */
    p.leaves = p.ncoords > 1 ? p.ncoords - 1 : 1;
    st = sweep(ctx, m, &p);
    ember_temp_free(ctx, block);
    return st;
}
