#include "delivery/sched.h"

#include "net/netif.h"

static struct stream *heap[STREAM_MAX];
static unsigned nheap;
static sched_done_fn on_done;
static struct sched_stats stats;

static void put(unsigned i, struct stream *s)
{
    heap[i] = s;
    s->heap_pos = (int)i;
}

static void sift_up(unsigned i)
{
    struct stream *s = heap[i];
    while (i > 0) {
        unsigned parent = (i - 1) / 2;
        if (heap[parent]->due_ns <= s->due_ns)
            break;
        put(i, heap[parent]);
        i = parent;
    }
    put(i, s);
}

static void sift_down(unsigned i)
{
    struct stream *s = heap[i];
    for (;;) {
        unsigned c = 2 * i + 1;
        if (c >= nheap)
            break;
        if (c + 1 < nheap && heap[c + 1]->due_ns < heap[c]->due_ns)
            c++;
        if (s->due_ns <= heap[c]->due_ns)
            break;
        put(i, heap[c]);
        i = c;
    }
    put(i, s);
}

void sched_init(sched_done_fn done)
{
    on_done = done;
    nheap = 0;
}

void sched_remove(struct stream *s)
{
    if (s->heap_pos < 0)
        return;
    unsigned i = (unsigned)s->heap_pos;
    s->heap_pos = -1;
    struct stream *last = heap[--nheap];
    if (i == nheap)
        return;
    put(i, last);
    sift_up(i);
    sift_down((unsigned)last->heap_pos);
}

void sched_add(struct stream *s)
{
    sched_remove(s);
    if (s->next >= s->end)
        return;
    s->due_ns = stream_due(s);
    put(nheap++, s);
    sift_up(nheap - 1);
}

unsigned sched_active(void)
{
    return nheap;
}

void sched_run(uint64_t now)
{
    stats.passes++;
    unsigned sent = 0;
    net_output_batch_begin();
    while (nheap && heap[0]->due_ns <= now + SCHED_SLACK_NS && sent < SCHED_PASS_LIMIT) {
        struct stream *s = heap[0];
        uint32_t misses = s->misses;
        if (!stream_send_next(s, now)) {
            sched_remove(s);
            on_done(s, true);
            continue;
        }
        sent++;
        stats.misses += s->misses - misses;
        if (s->next >= s->end) {
            sched_remove(s);
            on_done(s, false);
            continue;
        }
        s->due_ns = stream_due(s);
        sift_down(0);
    }
    net_output_batch_end();
    stats.packets += sent;
    uint32_t backlog = 0;
    for (unsigned i = 0; i < nheap; i++)
        if (heap[i]->due_ns <= now)
            backlog++;
    stats.backlog = backlog;
    if (backlog > stats.backlog_max)
        stats.backlog_max = backlog;
    /* Read-ahead after sending: disk time never delays a packet that is already due. */
    for (unsigned i = 0; i < nheap; i++) {
        struct stream *s = heap[i];
        if (!stream_readahead(s, false)) {
            sched_remove(s);
            on_done(s, true);
            i--;
        }
    }
}

struct sched_stats *sched_get_stats(void)
{
    return &stats;
}
