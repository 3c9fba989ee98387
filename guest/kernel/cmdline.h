/* Boot options from the multiboot command line: space-separated key=value words and flags. */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include <stdbool.h>
#include <stdint.h>

#define CMDLINE_MAX 256
#define CMDLINE_NAME_MAX 32

struct boot_options {
    uint32_t ip;                      /* ip=A.B.C.D, default 10.0.2.15 */
    uint32_t gateway;                 /* gw=A.B.C.D, default 10.0.2.2 */
    unsigned hz;                      /* hz=N timer rate, default 100 */
    char fault[CMDLINE_NAME_MAX];     /* fault=NAME, see kernel/faults.c; empty if none */
    char workload[CMDLINE_NAME_MAX];  /* workload=compute, sti-edge or rep-load; empty if none */
    bool quiet;                       /* quiet: only the guaranteed lines */
    char race[CMDLINE_NAME_MAX];      /* race=copybreak|rdt-early: drivers/e1000.c's demo race */
    uint32_t link_id;                 /* link=N: run the delivery engine, linkage boot id N (0: off) */
    unsigned capacity_mbps;           /* capacity=N: delivery capacity to declare (0: default) */
    bool testctl;                     /* testctl: accept the linkage's FAULT command */
};

/* The options this boot was given (kernel/main.c). */
extern struct boot_options boot_options;

/* Parse cmdline into opts (defaults first). Problems are printed, never fatal. QEMU prefixes
 * the image path, so a first word without '=' that is no known flag is skipped. */
void cmdline_parse(const char *cmdline, struct boot_options *opts);

#endif
