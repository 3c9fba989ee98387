/* Interrupt entry stubs for vectors 0-47. Each pushes a uniform frame (struct interrupt_frame in
 * interrupts.h) and calls interrupt_dispatch. Vector 8 (#DF) also has a task gate entry. */

#define KERNEL_DS 0x10

/* CPU exceptions that push an error code (Intel SDM vol. 3, table 6-1). */
.macro ISR_NOERR vec
    .global isr_\vec
isr_\vec:
    pushl $0
    pushl $\vec
    jmp isr_common
.endm

.macro ISR_ERR vec
    .global isr_\vec
isr_\vec:
    pushl $\vec
    jmp isr_common
.endm

    .section .text
    ISR_NOERR 0
    ISR_NOERR 1
    ISR_NOERR 2
    ISR_NOERR 3
    ISR_NOERR 4
    ISR_NOERR 5
    ISR_NOERR 6
    ISR_NOERR 7
    ISR_ERR   8
    ISR_NOERR 9
    ISR_ERR   10
    ISR_ERR   11
    ISR_ERR   12
    ISR_ERR   13
    ISR_ERR   14
    ISR_NOERR 15
    ISR_NOERR 16
    ISR_ERR   17
    ISR_NOERR 18
    ISR_NOERR 19
    ISR_NOERR 20
    ISR_ERR   21
    ISR_NOERR 22
    ISR_NOERR 23
    ISR_NOERR 24
    ISR_NOERR 25
    ISR_NOERR 26
    ISR_NOERR 27
    ISR_NOERR 28
    ISR_ERR   29
    ISR_ERR   30
    ISR_NOERR 31
    .irp vec, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    ISR_NOERR \vec
    .endr

isr_common:
    pushal
    pushl %ds
    pushl %es
    pushl %fs
    pushl %gs
    mov $KERNEL_DS, %ax
    mov %ax, %ds
    mov %ax, %es
    cld
    push %esp               /* struct interrupt_frame * */
    call interrupt_dispatch
    add $4, %esp
    popl %gs
    popl %fs
    popl %es
    popl %ds
    popal
    add $8, %esp            /* vector, error code */
    iret

/* Table of stub addresses, indexed by vector, for idt setup in C. */
    .section .rodata
    .align 4
    .global isr_stub_table
isr_stub_table:
    .irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .long isr_\vec
    .endr
    .irp vec, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    .long isr_\vec
    .endr

/* Entered by a hardware task switch through the #DF task gate, on df_tss's own stack; the
 * CPU pushed the (zero) error code. The faulting context is saved in main_tss. */
    .section .text
    .global double_fault_task_entry
double_fault_task_entry:
    xor %ebp, %ebp
    call crash_report_double_fault
1:  cli
    hlt
    jmp 1b

    .section .note.GNU-stack, "", @progbits
