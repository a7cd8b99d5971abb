import CKernels

/// How the process's heap treats freed memory. Training allocates the same large tensors
/// every step; by default glibc maps each block of 32 MB or more afresh and unmaps it when
/// freed, so every step faults in and zeroes its activations again (a tenth of a ViT-Tiny
/// step at batch 256). Kept in the heap, freed blocks serve the next step: the peak resident
/// memory is the same, and it stays resident until the process ends.
public enum Heap {
    /// Whether freed blocks stay in the process (glibc; false elsewhere). The first tensor
    /// allocated reads it, which applies the setting once for the whole process.
    public static let keepsFreedMemory = nrcc_keep_freed_memory() != 0
}
