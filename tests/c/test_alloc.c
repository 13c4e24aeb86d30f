/* Allocation discipline through a counting allocator: invoke never allocates, and failure
   injection at call 1, 2, 3, ... of create + allocate gives NO_MEMORY with a message, frees
   everything on destroy, and leaves an interpreter that can still allocate afterwards. Each model
   runs on the default isa_mask (the fast paths) on 1 thread and again on 2 (the thread pool). */
#include "emberlite.h"
#include "test_util.h"


typedef struct counter {
    long calls;   /* alloc calls so far */
    long fail_at; /* the call that returns NULL (0: none) */
    long live;    /* blocks not yet freed */
} counter;

static void *count_alloc(void *user, size_t size, size_t align) {
    counter *c = user;
    c->calls++;
    if (c->calls == c->fail_at)
        return NULL;
    void *p = aligned_alloc(align, size ? (size + align - 1) / align * align : align);
    if (p != NULL)
        c->live++;
    return p;
}

static void count_free(void *user, void *ptr) {
    counter *c = user;
    if (ptr != NULL)
        c->live--;
    free(ptr);
}

static void fill_inputs(ember_interp *ip) {
    for (uint32_t i = 0; i < ember_interp_input_count(ip); i++) {
        uint32_t t = ember_interp_input_tensor(ip, i);
        ember_tensor_info info;
        ember_interp_tensor_info(ip, t, &info);
        memset(ember_interp_tensor_data(ip, t), 0, info.bytes);
    }
}

/* create + allocate on `threads` threads with the allocator failing at call `fail_at`;
   returns the calls made. */
static long run(const uint8_t *model, size_t size, int32_t threads, long fail_at,
                const char *name) {
    counter c = {0, fail_at, 0};
    ember_allocator a = {count_alloc, count_free, &c};
    ember_options o;
    ember_options_init(&o);
    o.allocator = &a;
    o.num_threads = threads;
    ember_interp *ip = NULL;
    ember_status st = ember_interp_create(model, size, &o, &ip);
    bool failed = st != EMBER_STATUS_OK, ready = false;
    if (failed) {
        CHECK_MSG(st == EMBER_STATUS_NO_MEMORY, "%s fail at %ld: create gave %s (%s)", name,
                  fail_at, ember_status_str(st), ember_errmsg(ip));
        CHECK_MSG(ip != NULL || fail_at == 1, "%s fail at %ld: no handle", name, fail_at);
        if (ip != NULL)
            CHECK_MSG(strstr(ember_errmsg(ip), "memory") != NULL, "%s fail at %ld: '%s'", name,
                      fail_at, ember_errmsg(ip));
    } else {
        st = ember_interp_allocate(ip);
        failed = st != EMBER_STATUS_OK;
        CHECK_MSG(!failed || st == EMBER_STATUS_NO_MEMORY, "%s fail at %ld: allocate gave %s",
                  name, fail_at, ember_status_str(st));
        if (failed) {
            CHECK_MSG(strstr(ember_errmsg(ip), "memory") != NULL, "%s fail at %ld: '%s'", name,
                      fail_at, ember_errmsg(ip));
            /* The failure is not sticky: the next attempt succeeds. */
            st = ember_interp_allocate(ip);
            CHECK(st == EMBER_STATUS_OK);
        }
        ready = st == EMBER_STATUS_OK;
    }
    if (ready) {
        long before = c.calls;
        fill_inputs(ip);
        for (int i = 0; i < 100; i++)
            CHECK(ember_interp_invoke(ip) == EMBER_STATUS_OK);
        CHECK_MSG(c.calls == before, "%s on %d threads: invoke allocated %ld times", name,
                  (int)threads, c.calls - before);
    }
    CHECK_MSG(fail_at == 0 || fail_at > c.calls || failed,
              "%s: call %ld failed but nothing reported it", name, fail_at);
    ember_interp_destroy(ip);
    CHECK_MSG(c.live == 0, "%s fail at %ld: %ld blocks leaked", name, fail_at, c.live);
    return c.calls;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "build/models";
    static char names[TEST_MAX_MODELS][64];
    int count = test_model_names(dir, names, TEST_MAX_MODELS);
    CHECK(count > 0);
    for (int m = 0; m < count; m++) {
        size_t size;
        uint8_t *model = test_read_file(dir, names[m], &size);
        CHECK_MSG(model != NULL, "%s", names[m]);
        if (model == NULL)
            continue;
        for (int32_t threads = 1; threads <= 2; threads++) {
            long total = run(model, size, threads, 0, names[m]);
            CHECK(total > 1);
            for (long k = 1; k <= total + 1; k++)
                run(model, size, threads, k, names[m]);
        }
        free(model);
    }
    return test_report("test_alloc");
}
