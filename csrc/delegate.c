/* Delegates: which nodes run elsewhere, in which partitions, and the calls into the
   delegates that run them (emberlite.h's "delegates" section). */
#include <string.h>

#include "interp.h"

#if EMBER_NO_DELEGATES
ember_status ember_interp_add_delegate(ember_interp *ip, const ember_delegate *d) {
    (void)d;
    if (!ember_interp_live(ip))
        return EMBER_STATUS_MISUSE;
    ip->msg[0] = '\0';
    return ip->status = ember_fail(&ip->ctx, EMBER_STATUS_UNSUPPORTED,
                                   "this build has no delegates (EMBER_NO_DELEGATES)");
}
#else
ember_status ember_interp_add_delegate(ember_interp *ip, const ember_delegate *d) {
    if (!ember_interp_live(ip))
        return EMBER_STATUS_MISUSE;
    ip->msg[0] = '\0';
    ember_status st = EMBER_STATUS_OK;
    if (d == NULL || d->claim == NULL || d->prepare == NULL || d->invoke == NULL ||
        d->release == NULL || d->name == NULL)
        st = ember_fail(&ip->ctx, EMBER_STATUS_INVALID_ARGUMENT,
                        "a delegate needs a name and its claim, prepare, invoke and release");
    else if (d->abi_version != EMBER_DELEGATE_ABI_VERSION)
        st = ember_fail(&ip->ctx, EMBER_STATUS_VERSION,
                        "delegate '%s' was built for delegate ABI %" PRIu32 ", this runtime "
                        "has %d", d->name, d->abi_version, EMBER_DELEGATE_ABI_VERSION);
    else if (ip->allocated || ip->placements.partition != NULL)
        st = ember_fail(&ip->ctx, EMBER_STATUS_MISUSE,
                        "add delegates before ember_interp_allocate");
    else if (ip->delegate_count == EMBER_MAX_DELEGATES)
        st = ember_fail(&ip->ctx, EMBER_STATUS_INVALID_ARGUMENT,
                        "an interpreter takes at most %d delegates", EMBER_MAX_DELEGATES);
    else
        ip->delegates[ip->delegate_count++] = d;
    ip->status = st;
    return st;
}

/* Why the core keeps node n on the CPU whatever a delegate says, or NULL. */
static const char *core_reason(const ember_interp *ip, const ember_node *n) {
    if (n->run_if_count > 0)
        return "runs under a condition (an If branch): the CPU decides whether it runs";
    for (uint32_t k = 0; k < n->output_count; k++) {
        if (ip->model.tensors[n->outputs[k]].is_prepared)
            return "computes a constant at prepare";
    }
    return NULL;
}

/* The first delegate that takes node i, or NULL with the last reason in `reason`. */
static const ember_delegate *claim_node(ember_interp *ip, uint32_t i, char *reason) {
    const char *fixed = core_reason(ip, &ip->model.nodes[i]);
    if (fixed != NULL) {
        ember_format(reason, EMBER_REASON_SIZE, "%s", fixed);
        return NULL;
    }
    for (uint32_t k = 0; k < ip->delegate_count; k++) {
        const ember_delegate *d = ip->delegates[k];
        char why[EMBER_REASON_SIZE] = "";
        if (d->claim(d->user, ip, i, why, sizeof why)) {
            reason[0] = '\0';
            return d;
        }
        why[sizeof why - 1] = '\0'; /* a delegate's text is not trusted to end */
        ember_format(reason, EMBER_REASON_SIZE, "%s: %s", d->name,
                     why[0] != '\0' ? why : "not taken (no reason given)");
    }
    return NULL;
}

/* Gives nodes [first, end) taken by d to runs of at most d's max_partition_nodes, or, when
   fewer than its min_partition_nodes, back to the CPU. */
static void add_runs(ember_interp *ip, const ember_delegate *d, uint32_t first, uint32_t end) {
    ember_placements *pl = &ip->placements;
    const uint32_t length = end - first;
    if (length < d->min_partition_nodes) {
        for (uint32_t i = first; i < end; i++)
            ember_format(pl->reason[i], EMBER_REASON_SIZE,
                         "%s: its run of %" PRIu32 " node(s) is shorter than "
                         "min_partition_nodes (%" PRIu32 ")",
                         d->name, length, d->min_partition_nodes);
        return;
    }
    const uint32_t most = d->max_partition_nodes > 0 ? d->max_partition_nodes : length;
    for (uint32_t start = first; start < end; start += most) {
        ember_partition_run *run = &pl->runs[pl->run_count];
        run->delegate = d;
        run->first = start;
        run->count = end - start < most ? end - start : most;
        for (uint32_t i = start; i < start + run->count; i++)
            pl->partition[i] = (int32_t)pl->run_count;
        pl->run_count++;
    }
}

static ember_status allocate_placements(ember_interp *ip) {
    const uint32_t nodes = ip->model.node_count;
    ember_placements *pl = &ip->placements;
    pl->partition = ember_alloc(&ip->ctx, (size_t)nodes * sizeof *pl->partition + 1);
    pl->reason = ember_alloc(&ip->ctx, (size_t)nodes * sizeof *pl->reason + 1);
    pl->runs = ember_alloc(&ip->ctx, (size_t)nodes * sizeof *pl->runs + 1);
    pl->run_count = 0;
    if (pl->partition == NULL || pl->reason == NULL || pl->runs == NULL)
        return EMBER_STATUS_NO_MEMORY;
    for (uint32_t i = 0; i < nodes; i++)
        pl->partition[i] = -1;
    return EMBER_STATUS_OK;
}

ember_status ember_delegates_partition(ember_interp *ip) {
    memset(&ip->placements, 0, sizeof ip->placements);
    if (ip->delegate_count == 0)
        return EMBER_STATUS_OK;
    ember_status st = allocate_placements(ip);
    const ember_delegate *current = NULL;
    uint32_t run_start = 0;
    for (uint32_t i = 0; st == EMBER_STATUS_OK && i <= ip->model.node_count; i++) {
        const ember_delegate *d = i < ip->model.node_count
                                      ? claim_node(ip, i, ip->placements.reason[i])
                                      : NULL;
        if (d != current && current != NULL)
            add_runs(ip, current, run_start, i);
        if (d != current)
            run_start = i;
        current = d;
    }
    return st;
}

/* ---- a partition's boundary tensors -------------------------------------------------- */

/* For each tensor, the last node that reads it (as an input or a condition), UINT32_MAX
   for a graph output (the caller reads it), or 0 when nothing reads it: computed into
   `last` (tensor_count entries). */
static void last_readers(const ember_interp *ip, uint32_t *last) {
    const ember_model *m = &ip->model;
    memset(last, 0, (size_t)m->tensor_count * sizeof *last);
    for (uint32_t i = 0; i < m->node_count; i++) {
        const ember_node *n = &m->nodes[i];
        for (uint32_t k = 0; k < n->input_count; k++) {
            if (n->inputs[k] >= 0)
                last[n->inputs[k]] = i;
        }
        for (uint32_t k = 0; k < n->run_if_count; k++) {
            const int32_t entry = n->run_if[k];
            last[entry >= 0 ? entry : -1 - entry] = i;
        }
    }
    for (uint32_t k = 0; k < m->outputs.len; k++)
        last[ember_fb_vector_i32(&m->outputs, k)] = UINT32_MAX;
}

static bool listed(const uint32_t *list, uint32_t count, uint32_t t) {
    for (uint32_t k = 0; k < count; k++) {
        if (list[k] == t)
            return true;
    }
    return false;
}

/* `seen` marks (tensor_count bytes) the tensors the run's nodes have written so far. */
static void boundary(const ember_interp *ip, const ember_partition_run *run,
                     const uint32_t *last, uint8_t *seen, ember_partition *p,
                     uint32_t *inputs, uint32_t *outputs) {
    const uint32_t end = run->first + run->count;
    p->input_count = p->output_count = 0;
    for (uint32_t i = run->first; i < end; i++) {
        const ember_node *n = &ip->model.nodes[i];
        for (uint32_t k = 0; k < n->input_count; k++) {
            const int32_t t = n->inputs[k];
            if (t >= 0 && !ip->model.tensors[t].is_constant && !seen[t] &&
                !listed(inputs, p->input_count, (uint32_t)t))
                inputs[p->input_count++] = (uint32_t)t;
        }
        for (uint32_t k = 0; k < n->output_count; k++) {
            const int32_t t = n->outputs[k];
            seen[t] = 1;
            if (last[t] >= end && !listed(outputs, p->output_count, (uint32_t)t))
                outputs[p->output_count++] = (uint32_t)t;
        }
    }
    for (uint32_t i = run->first; i < end; i++) { /* unmark for the next run */
        const ember_node *n = &ip->model.nodes[i];
        for (uint32_t k = 0; k < n->output_count; k++)
            seen[n->outputs[k]] = 0;
    }
}

/* ---- preparing and running partitions ------------------------------------------------ */

/* The delegate failed run r: its nodes go back to the CPU, with the delegate's message. */
static ember_status give_back(ember_interp *ip, ember_partition_run *run, const char *msg) {
    ember_placements *pl = &ip->placements;
    for (uint32_t i = run->first; i < run->first + run->count; i++) {
        pl->partition[i] = -1;
        ember_format(pl->reason[i], EMBER_REASON_SIZE, "%s: preparing its partition failed: %s",
                     run->delegate->name, msg[0] != '\0' ? msg : "no reason given");
    }
    for (uint32_t i = run->first; i < run->first + run->count; i++) {
        ember_status st = ember_prepare_node(ip, i);
        if (st != EMBER_STATUS_OK)
            return st;
    }
    return EMBER_STATUS_OK;
}

static ember_status prepare_run(ember_interp *ip, ember_partition_run *run, const uint32_t *last,
                                uint8_t *seen, uint32_t *lists) {
    ember_partition p;
    uint32_t *node_list = lists, *inputs = lists + ip->model.node_count,
             *outputs = inputs + ip->model.tensor_count;
    for (uint32_t k = 0; k < run->count; k++)
        node_list[k] = run->first + k;
    p.nodes = node_list;
    p.node_count = run->count;
    boundary(ip, run, last, seen, &p, inputs, outputs);
    p.inputs = inputs;
    p.outputs = outputs;
    char msg[EMBER_REASON_SIZE] = "";
    run->state = NULL;
    ember_status st = run->delegate->prepare(run->delegate->user, ip, &p, &run->state, msg,
                                             sizeof msg);
    msg[sizeof msg - 1] = '\0';
    run->prepared = st == EMBER_STATUS_OK;
    if (run->prepared)
        return EMBER_STATUS_OK;
    if (run->state != NULL)
        run->delegate->release(run->delegate->user, run->state);
    run->state = NULL;
    return give_back(ip, run, msg);
}

/* Partitions are numbered among those that run: failed runs leave the list. */
static void drop_failed_runs(ember_placements *pl) {
    uint32_t kept = 0;
    for (uint32_t r = 0; r < pl->run_count; r++) {
        const ember_partition_run run = pl->runs[r];
        for (uint32_t i = run.first; i < run.first + run.count; i++)
            pl->partition[i] = run.prepared ? (int32_t)kept : -1;
        if (run.prepared)
            pl->runs[kept++] = run;
    }
    pl->run_count = kept;
}

ember_status ember_delegates_prepare_partitions(ember_interp *ip) {
    ember_placements *pl = &ip->placements;
    if (pl->run_count == 0)
        return EMBER_STATUS_OK;
    const size_t tensors = ip->model.tensor_count, nodes = ip->model.node_count;
    /* last readers, then the node list and the input and output lists of one partition */
    uint32_t *last = ember_temp_alloc(&ip->ctx, (tensors * 3 + nodes) * sizeof *last);
    uint8_t *seen = ember_temp_alloc(&ip->ctx, tensors + 1);
    ember_status st = last != NULL && seen != NULL ? EMBER_STATUS_OK : EMBER_STATUS_NO_MEMORY;
    if (st == EMBER_STATUS_OK) {
        last_readers(ip, last);
        memset(seen, 0, tensors);
    }
    for (uint32_t r = 0; st == EMBER_STATUS_OK && r < pl->run_count; r++)
        st = prepare_run(ip, &pl->runs[r], last, seen, last + tensors);
    ember_temp_free(&ip->ctx, last);
    ember_temp_free(&ip->ctx, seen);
    drop_failed_runs(pl);
    return st;
}

void ember_delegates_release(ember_interp *ip) {
    ember_placements *pl = &ip->placements;
    for (uint32_t r = 0; r < pl->run_count; r++) {
        ember_partition_run *run = &pl->runs[r];
        if (run->prepared)
            run->delegate->release(run->delegate->user, run->state);
        run->prepared = false;
        run->state = NULL;
    }
    memset(pl, 0, sizeof *pl);
}

int32_t ember_node_run(const ember_interp *ip, uint32_t i) {
    const ember_placements *pl = &ip->placements;
    return pl->partition != NULL && i < ip->model.node_count ? pl->partition[i] : -1;
}

ember_status ember_run_partition(ember_interp *ip, uint32_t r) {
    ember_partition_run *run = &ip->placements.runs[r];
    char msg[EMBER_REASON_SIZE] = "";
    ember_status st = run->delegate->invoke(run->delegate->user, ip, run->state, msg, sizeof msg);
    msg[sizeof msg - 1] = '\0';
    if (st != EMBER_STATUS_OK)
        return ember_fail(&ip->ctx, st,
                          "partition %" PRIu32 " (delegate %s, nodes %" PRIu32 "-%" PRIu32
                          "): %s", r, run->delegate->name, run->first,
                          run->first + run->count - 1, msg[0] != '\0' ? msg : "failed");
    return EMBER_STATUS_OK;
}

#endif /* !EMBER_NO_DELEGATES */

/* ---- placements ---------------------------------------------------------------------- */

ember_status ember_interp_node_placement(const ember_interp *ip, uint32_t node,
                                         ember_node_placement *out) {
    if (ember_interp_model(ip) == NULL)
        return EMBER_STATUS_MISUSE;
    if (out == NULL || node >= ip->model.node_count)
        return EMBER_STATUS_INVALID_ARGUMENT;
    if (!ip->allocated)
        return EMBER_STATUS_MISUSE;
    const ember_placements *pl = &ip->placements;
    const int32_t r = ember_node_run(ip, node);
    out->delegate = r >= 0 ? pl->runs[r].delegate->name : NULL;
    out->partition = r;
    out->reason = r < 0 && pl->reason != NULL ? pl->reason[node] : "";
    return EMBER_STATUS_OK;
}

uint32_t ember_interp_partition_count(const ember_interp *ip) {
    if (!ember_interp_live(ip) || !ip->allocated)
        return 0;
    return ip->placements.run_count;
}

/* ---- the table a plug-in calls the core through -------------------------------------- */

static const ember_core_api core_api = {
    EMBER_DELEGATE_ABI_VERSION,
    ember_interp_node_count,
    ember_interp_node_op,
    ember_interp_node_name,
    ember_interp_node_io_count,
    ember_interp_node_io,
    ember_interp_node_param,
    ember_interp_tensor_count,
    ember_interp_tensor_info,
    ember_interp_tensor_data,
    ember_interp_tensor_quant,
    ember_interp_input_count,
    ember_interp_output_count,
    ember_interp_input_tensor,
    ember_interp_output_tensor,
};

const ember_core_api *ember_core_api_get(void) {
    return &core_api;
}
