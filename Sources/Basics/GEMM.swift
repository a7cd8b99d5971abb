// The one seam between nrcc and the platform's BLAS: OpenBLAS on Linux, Accelerate on macOS.
// The products go through here only; BLASKernel.swift beside it imports the library too, to
// name the kernel that is loaded.
#if canImport(Accelerate)
import Basics
import Accelerate
#else
import CBLAS
#endif
import Foundation

/// Single-precision matrix product through BLAS, row-major:
/// `c = alpha * op(a) * op(b) + beta * c`, where `op(x)` is `x` or its transpose.
///
/// - a: `op(a)` is m x k; stored k x m when `transposeA`, with leading dimension `lda`.
/// - b: `op(b)` is k x n; stored n x k when `transposeB`, with leading dimension `ldb`.
/// - c: m x n, leading dimension `ldc`.
///
/// `beta = 1` accumulates into `c`, which is how backward kernels add gradients.
@inlinable
public func gemm(
    transposeA: Bool = false, transposeB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    checkArgument(m >= 0 && n >= 0 && k >= 0, "gemm: negative size m=\(m) n=\(n) k=\(k)")
    if m == 0 || n == 0 { return }
    cblas_sgemm(
        CblasRowMajor,
        transposeA ? CblasTrans : CblasNoTrans,
        transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k),
        alpha, a, Int32(lda), b, Int32(ldb),
        beta, c, Int32(ldc))
}

/// `gemm` spread over the cores by rows: the rows of `op(a)` and `c` are cut into blocks of
/// `rowBlock`, each a single-threaded product on one core. `nrcc` runs BLAS single-threaded
/// (`BLASThreads.set(1)`), so this is how a large product from code that does not split its
/// own work uses every core; the blocks follow `m` alone, so the bits of `c` are the same on
/// any number of cores, which a multi-threaded BLAS does not promise.
public func parallelGEMM(
    transposeA: Bool = false, transposeB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int,
    rowBlock: Int = 64
) {
    let blocks = (m + rowBlock - 1) / max(1, rowBlock)
    let pointers = UncheckedSendable((a, b, c))
    parallelFor(blocks) { block in
        let (a, b, c) = pointers.value
        let first = block * rowBlock, rows = min(rowBlock, m - first)
        // Row r of op(a) is row r of a, or column r of a when transposed.
        gemm(transposeA: transposeA, transposeB: transposeB, m: rows, n: n, k: k, alpha: alpha,
             a: a + (transposeA ? first : first * lda), lda: lda, b: b, ldb: ldb,
             beta: beta, c: c + first * ldc, ldc: ldc)
    }
}

/// Matrix-vector product through BLAS, row-major: `y = alpha * op(a) * x + beta * y`,
/// with `a` stored rows x columns (leading dimension `lda`).
@inlinable
public func gemv(
    transpose: Bool = false, rows: Int, columns: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
    x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>
) {
    if rows == 0 || columns == 0 { return }
    cblas_sgemv(
        CblasRowMajor, transpose ? CblasTrans : CblasNoTrans,
        Int32(rows), Int32(columns), alpha, a, Int32(lda), x, 1, beta, y, 1)
}

/// The number of threads BLAS uses for one product. Accelerate manages its own threads.
///
/// `nrcc` runs every product on one thread (`set(1)` at start): its kernels spread work over
/// the cores themselves, cut by the data, so results do not depend on the core count. Code
/// that needs another count for a while, and must not be disturbed by others changing it,
/// uses `exclusively`.
public enum BLASThreads {
    /// Sets the BLAS thread count (OpenBLAS only; a no-op with Accelerate).
    public static func set(_ count: Int) {
        #if !canImport(Accelerate)
        openblas_set_num_threads(Int32(count))
        #endif
    }

    /// The BLAS thread count (1 with Accelerate, which does not report it).
    public static var count: Int {
        #if canImport(Accelerate)
        return 1
        #else
        return Int(openblas_get_num_threads())
        #endif
    }

    /// Runs `body` with `count` BLAS threads, holding a process-wide lock that other
    /// `exclusively` calls wait for, and restores the previous count after.
    public static func exclusively<Result>(_ count: Int, _ body: () throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        let saved = Self.count
        set(count)
        defer { set(saved) }
        return try body()
    }

    private static let lock = NSLock()
}
