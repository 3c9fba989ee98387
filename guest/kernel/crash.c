/* Prints what a debugger user needs to find a crash without the debugger: the vector, the
 * faulting EIP, all registers, control registers and a frame-pointer backtrace. */
#include "kernel/crash.h"

#include "arch/cpu.h"
#include "arch/gdt.h"
#include "arch/pit.h"
#include "kernel/kprintf.h"

#define BACKTRACE_MAX_FRAMES 16

extern char __kernel_start[], __kernel_end[];

static const char *const exception_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
    "#DF", "#CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23",
    "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

static volatile int crashing;

static uint16_t read_ss(void)
{
    uint16_t ss;
    __asm__ volatile("mov %%ss, %0" : "=r"(ss));
    return ss;
}

/* Only follow frame pointers that stay inside the kernel image and move up the stack. */
static void print_backtrace(uint32_t eip, uint32_t ebp)
{
    kprintf("backtrace: 0x%08x", eip);
    for (int i = 0; i < BACKTRACE_MAX_FRAMES; i++) {
        if (ebp < (uint32_t)__kernel_start || ebp + 8 > (uint32_t)__kernel_end || (ebp & 3))
            break;
        const uint32_t *frame = (const uint32_t *)ebp;
        uint32_t ret = frame[1];
        if (ret == 0)
            break;
        kprintf(" 0x%08x", ret);
        if (frame[0] <= ebp)
            break;
        ebp = frame[0];
    }
    kprintf("\n");
}

static __attribute__((noreturn)) void report(unsigned vector, const struct interrupt_frame *f,
                                             uint32_t esp, uint32_t ss)
{
    kprintf("*** GUEST CRASH: %s (vector %u) err=0x%08x ***\n", exception_names[vector & 31],
            vector, f->error_code);
    kprintf("EIP=0x%08x CS=0x%04x EFLAGS=0x%08x\n", f->eip, f->cs & 0xFFFF, f->eflags);
    kprintf("EAX=0x%08x EBX=0x%08x ECX=0x%08x EDX=0x%08x\n", f->eax, f->ebx, f->ecx, f->edx);
    kprintf("ESI=0x%08x EDI=0x%08x EBP=0x%08x ESP=0x%08x\n", f->esi, f->edi, f->ebp, esp);
    /* A 32-bit push of a segment register may leave the upper half undefined (v86 does). */
    kprintf("DS=0x%04x ES=0x%04x FS=0x%04x GS=0x%04x SS=0x%04x\n", f->ds & 0xFFFF,
            f->es & 0xFFFF, f->fs & 0xFFFF, f->gs & 0xFFFF, ss & 0xFFFF);
    kprintf("CR0=0x%08x CR2=0x%08x CR3=0x%08x CR4=0x%08x\n", read_cr0(), read_cr2(), read_cr3(),
            read_cr4());
    kprintf("ticks=%u\n", pit_ticks());
    print_backtrace(f->eip, f->ebp);
    kprintf("*** halted ***\n");
    cpu_halt_forever();
}

void crash_report_exception(const struct interrupt_frame *f)
{
    cpu_cli();
    if (crashing)
        cpu_halt_forever();   /* a fault while reporting: don't recurse */
    crashing = 1;
    /* Same-privilege entry: the CPU pushed no ESP/SS, so the faulting ESP is just above EFLAGS. */
    report(f->vector, f, (uint32_t)(&f->eflags + 1), read_ss());
}

void crash_report_double_fault(uint32_t error_code)
{
    if (crashing)
        cpu_halt_forever();
    crashing = 1;
    const struct tss *t = &main_tss;   /* the CPU saved the faulting task here */
    struct interrupt_frame f = {
        .gs = t->gs, .fs = t->fs, .es = t->es, .ds = t->ds,
        .edi = t->edi, .esi = t->esi, .ebp = t->ebp, .ebx = t->ebx,
        .edx = t->edx, .ecx = t->ecx, .eax = t->eax,
        .vector = 8, .error_code = error_code,
        .eip = t->eip, .cs = t->cs, .eflags = t->eflags,
    };
    report(8, &f, t->esp, t->ss);
}
