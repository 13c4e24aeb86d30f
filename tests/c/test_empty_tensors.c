/* Every op on tensors that hold no element while their other dims are 2^31 - 1 (the cases
   of tests/runtime/empty_worker.py, written by make_models.py as empty_*.ember and listed in
   empty_index.txt with "ok" or "refused"): create, allocate and invoke succeed, or the model
   is refused with INVALID_MODEL, never a crash, and under ASan/UBSan no overflowing stride or
   index either. An alarm ends the process if a kernel loops over the product of the huge
   dims (2^62 steps) instead of returning. */
#define _POSIX_C_SOURCE 200112L
#include <signal.h>
#include <unistd.h>

#include "emberlite.h"
#include "test_util.h"

#define HANG_SECONDS 120 /* for all the cases together; each takes microseconds */

static char current[128]; /* the case running, for the alarm's message */

static void on_alarm(int sig) {
    (void)sig;
    static const char what[] = "test_empty_tensors: hung in ";
    ssize_t ignored = write(2, what, sizeof what - 1);
    ignored = write(2, current, strlen(current));
    ignored = write(2, "\n", 1);
    (void)ignored;
    _exit(1);
}

static void run_case(const char *dir, const char *name, bool refused) {
    snprintf(current, sizeof current, "%s", name);
    size_t size = 0;
    uint8_t *buf = test_read_file(dir, name, &size);
    CHECK(buf != NULL);
    if (buf == NULL)
        return;
    ember_interp *ip = NULL;
    ember_status st = ember_interp_create(buf, size, NULL, &ip);
    if (st == EMBER_STATUS_OK)
        st = ember_interp_allocate(ip);
    if (st == EMBER_STATUS_OK)
        st = ember_interp_invoke(ip);
    if (refused)
        CHECK_MSG(st == EMBER_STATUS_INVALID_MODEL, "%s: expected a refusal, got %s", name,
                  ember_status_str(st));
    else
        CHECK_MSG(st == EMBER_STATUS_OK, "%s: %s", name, ip ? ember_errmsg(ip) : "no handle");
    ember_interp_destroy(ip);
    free(buf);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "build/models";
    signal(SIGALRM, on_alarm);
    alarm(HANG_SECONDS);
    char path[1024];
    snprintf(path, sizeof path, "%s/empty_index.txt", dir);
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "cannot open %s (run tests/c/make_models.py first)", path);
    char line[128], name[100], expect[16];
    int cases = 0;
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "%99s %15s", name, expect) != 2)
            continue;
        run_case(dir, name, strcmp(expect, "refused") == 0);
        cases++;
    }
    if (f != NULL)
        fclose(f);
    CHECK_MSG(cases > 0, "no cases in %s", path);
    return test_report("test_empty_tensors");
}
