/* workload=compute: a deterministic integer workload the VMM benchmark times (MIPS). */
#ifndef KERNEL_COMPUTE_H
#define KERNEL_COMPUTE_H

#define COMPUTE_CHUNKS 16

/* Prints "compute chunk I/16 sum=0x........" per chunk and "compute done sum=0x........". */
void compute_run(void);

#endif
