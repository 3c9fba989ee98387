/* Multiboot v1 entry point. Both loaders (v86's and QEMU's) enter here in 32-bit protected mode
 * with EAX=0x2BADB002 and EBX=multiboot info. v86 sets CS=8/DS=0x10 without installing a GDT,
 * so loading our own GDT is the very first thing, before any segment register is touched. */

#define MULTIBOOT_HEADER_MAGIC 0x1BADB002
#define MULTIBOOT_PAGE_ALIGN   (1 << 0)   /* modules page aligned */
#define MULTIBOOT_MEMORY_INFO  (1 << 1)   /* ask for mem_lower/mem_upper and the memory map */
#define MULTIBOOT_FLAGS        (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO)

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define BOOT_STACK_SIZE 32768

    .section .multiboot, "a"
    .align 4
multiboot_header:
    .long MULTIBOOT_HEADER_MAGIC
    .long MULTIBOOT_FLAGS
    .long -(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_FLAGS)

    .section .bss
    .align 16
    .global boot_stack_bottom, boot_stack_top
boot_stack_bottom:
    .skip BOOT_STACK_SIZE
boot_stack_top:

    .section .text
    .global _start
    .type _start, @function
_start:
    cli
    lgdt gdt_pointer
    ljmp $KERNEL_CS, $1f
1:  mov $KERNEL_DS, %cx
    mov %cx, %ds
    mov %cx, %es
    mov %cx, %fs
    mov %cx, %gs
    mov %cx, %ss
    mov %eax, %esi          /* multiboot magic */
    mov %ebx, %edx          /* multiboot info; lies outside .bss on both loaders */

    /* Zero .bss: the C code relies on it and the multiboot spec leaves it to the kernel. */
    cld
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    mov $boot_stack_top, %esp
    xor %ebp, %ebp          /* ends the frame-pointer chain for backtraces */
    push %edx
    push %esi
    call kmain
2:  cli
    hlt
    jmp 2b
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
