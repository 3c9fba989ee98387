/* workload=sti-edge: a JIT edge case the VMM tests (sti-edge.S). */
#ifndef KERNEL_STI_EDGE_H
#define KERNEL_STI_EDGE_H

#include <stdint.h>

#define STI_EDGE_CALLS 4000000u

void sti_edge_run(uint32_t calls);

#endif
