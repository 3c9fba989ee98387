/* Workloads for VMM edge cases: sti-edge (sti-edge.S, a JIT case) and rep-load (rep-load.S). */
#ifndef KERNEL_STI_EDGE_H
#define KERNEL_STI_EDGE_H

#include <stdint.h>

#define STI_EDGE_CALLS 4000000u

void sti_edge_run(uint32_t calls);

/* workload=rep-load: rep movsl from rep_load_src to rep_load_dst (rep-load.S), once a tick. */
void rep_load_copy(void);

#endif
