/* workload=sti-edge: an STI that is the first instruction of a function 17 bytes before the end
 * of a page, called in a loop with interrupts off. v86 never compiles such an STI (its block would
 * end inside the page's last 16 bytes), and before the LVMM's fix it compiled the page again every
 * 200,000 interpreted instructions (src/vmm/v86/wasm-patches.ts). The VMM test counts compiles. */

    .section .text.sti_edge, "ax"
    .balign 4096
    .global sti_edge_run
    .type sti_edge_run, @function
/* void sti_edge_run(uint32_t calls): cli, then a call to the STI, `calls` times. */
sti_edge_run:
    movl 4(%esp), %ecx
1:  cli
    call sti_edge
    decl %ecx
    jnz 1b
    ret

    .org sti_edge_run + 0xfef
sti_edge:
    sti
    ret

    .section .note.GNU-stack, "", @progbits
