/* workload=rep-load: copies rep_load_src to rep_load_dst with rep movsl, 64 words at a time. Rep
 * string instructions load outside v86's per-access paths, so the VMM tests watch these loads
 * (src/vmm/watchpoints.ts). */

    .section .text
    .global rep_load_copy
    .type rep_load_copy, @function
/* void rep_load_copy(void) */
rep_load_copy:
    pushl %esi
    pushl %edi
    cld
    movl $rep_load_src, %esi
    movl $rep_load_dst, %edi
    movl $64, %ecx
    rep movsl
    popl %edi
    popl %esi
    ret

    .section .data
    .balign 4
    .global rep_load_src
    .type rep_load_src, @object
    .size rep_load_src, 256
rep_load_src:
    .fill 64, 4, 0x5a5a5a5a

    .section .bss
    .balign 4
    .global rep_load_dst
    .type rep_load_dst, @object
    .size rep_load_dst, 256
rep_load_dst:
    .skip 256

    .section .note.GNU-stack, "", @progbits
