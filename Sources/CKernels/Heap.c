// glibc's malloc settings for a process that allocates the same large tensors every step.
#include "CKernels.h"
#ifdef __GLIBC__
#include <malloc.h>
#endif

int nrcc_keep_freed_memory(void) {
#ifdef __GLIBC__
    // Blocks of 32 MB and more are mapped and unmapped by default, so each training step
    // faults in and zeroes its activations afresh (a tenth of a ViT step). The heap keeps
    // them instead, and a heap never trimmed (-1, mallopt(3)) hands them to the next step.
    return mallopt(M_MMAP_MAX, 0) && mallopt(M_TRIM_THRESHOLD, -1);
#else
    return 0;
#endif
}
