/* Delivery control: a deadline-driven scheduler over every playing stream. A binary min-heap
 * keyed by each stream's next send time; each pass sends what is due (earliest first, one
 * packet per pop, so streams interleave fairly), then tops up read-ahead buffers. */
#ifndef DELIVERY_SCHED_H
#define DELIVERY_SCHED_H

#include <stdint.h>

#include "delivery/stream.h"

#define SCHED_SLACK_NS   200000u   /* send up to 0.2 ms early rather than sleep a whole tick */
#define SCHED_PASS_LIMIT 2048      /* packets per pass, so commands are served between passes */

struct sched_stats {
    uint32_t packets;
    uint32_t misses;
    uint32_t backlog;       /* packets due but unsent when the last pass ended */
    uint32_t backlog_max;   /* since the last STATS report */
    uint32_t passes;
};

/* Called for a stream that sent its last packet, or whose disk read failed. */
typedef void (*sched_done_fn)(struct stream *s, bool failed);

void sched_init(sched_done_fn done);
void sched_add(struct stream *s);      /* (re)schedules at stream_due(s) */
void sched_remove(struct stream *s);
unsigned sched_active(void);
/* One pass at time now. */
void sched_run(uint64_t now);
struct sched_stats *sched_get_stats(void);

#endif
