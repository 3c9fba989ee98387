/* The delivery engine: started from kmain when the command line names a linkage boot id
 * (link=N); then served from the idle loop after every interrupt. */
#ifndef DELIVERY_ENGINE_H
#define DELIVERY_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

/* capacity_mbps: the delivery capacity to declare (0: the default). testctl: accept FAULT. */
/* mem_top: end of usable RAM (bytes); the engine's buffers go between 4 MiB and it. */
void delivery_start(uint32_t link_id, unsigned capacity_mbps, bool testctl, uint32_t mem_top);
void delivery_poll(void);
/* True when work is queued that should not wait for the next interrupt. */
bool delivery_busy(void);

#endif
