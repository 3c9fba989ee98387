/* Deliberate guest failures (fault=NAME on the cmdline) for the VMM's fault tests. */
#ifndef KERNEL_FAULTS_H
#define KERNEL_FAULTS_H

#include <stdbool.h>

bool fault_is_known(const char *name);
const char *fault_names(void);   /* "triple, irqoff-hang, ..." for messages */
/* Print "fault: NAME" and trigger it. Only wild-dma returns. */
void fault_inject(const char *name);

#endif
