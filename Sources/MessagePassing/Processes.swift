// The processes nrcc runs as: the ranks of an MPI job (Open MPI) when built with the MPI trait,
// one process otherwise. The only module that speaks MPI; the library sees a `Collective`.
//
//     swift build -c release --traits MPI --scratch-path .build-mpi     (Makefile: make mpi)
//     mpirun -np 2 .build-mpi/release/nrcc train --dataset digits --sync-batch-norm
import Basics
import Foundation
#if MPI
import CMPI
#endif

/// The processes this program runs as.
public enum Processes {
    /// Whether this build can run as the ranks of an MPI job (built with the MPI trait).
    public static var supportsMPI: Bool {
        #if MPI
        true
        #else
        false
        #endif
    }

    /// The world of the MPI job this process belongs to (started by mpirun; a process started
    /// on its own is a world of one), or a single process in a build without MPI. Call once,
    /// before anything else; end with `finish()`.
    public static func start() -> any Collective {
        #if MPI
        MPIWorld()
        #else
        SingleProcess()
        #endif
    }

    /// Ends this process's part in the job (`MPI_Finalize`), after its work succeeded.
    public static func finish() {
        #if MPI
        MPI_Finalize()
        #endif
    }
}

#if MPI
/// `MPI_COMM_WORLD` as a `Collective`.
///
/// Initialised for `MPI_THREAD_FUNNELED`: only the thread that started MPI calls it (the
/// training loop's; the parallel loops and the batch prefetcher never do). Errors in MPI
/// itself abort the job (`MPI_ERRORS_ARE_FATAL`, the default), so no call returns a failure.
/// Unchecked Sendable: rank and size are constants, and MPI is called from one thread.
final class MPIWorld: Collective, @unchecked Sendable {
    let rank: Int
    let size: Int

    init() {
        var provided: Int32 = 0
        MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided)
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(nrcc_mpi_comm_world(), &rank)
        MPI_Comm_size(nrcc_mpi_comm_world(), &size)
        self.rank = Int(rank)
        self.size = Int(size)
    }

    func average(_ values: UnsafeMutableBufferPointer<Float>) {
        average(buckets: [values])
    }

    /// Every bucket's `MPI_Iallreduce` is started before any is waited for, so that the
    /// library can pipeline them; then each is divided by the rank count.
    func average(buckets: [UnsafeMutableBufferPointer<Float>]) {
        var requests = [MPI_Request?](repeating: nil, count: buckets.count)
        for (index, bucket) in buckets.enumerated() where bucket.count > 0 {
            checkArgument(bucket.count <= Int(Int32.max), "average: a bucket of \(bucket.count) floats exceeds MPI's count")
            MPI_Iallreduce(nrcc_mpi_in_place(), bucket.baseAddress, Int32(bucket.count), nrcc_mpi_float(),
                           nrcc_mpi_sum(), nrcc_mpi_comm_world(), &requests[index])
        }
        let started = requests.filter { $0 != nil }
        var waiting = started
        MPI_Waitall(Int32(waiting.count), &waiting, nrcc_mpi_statuses_ignore())
        let scale = 1 / Float(size)
        for bucket in buckets {
            for i in bucket.indices { bucket[i] *= scale }
        }
    }

    func sum(_ values: UnsafeMutableBufferPointer<Double>) {
        guard values.count > 0 else { return }
        MPI_Allreduce(nrcc_mpi_in_place(), values.baseAddress, Int32(values.count), nrcc_mpi_double(),
                      nrcc_mpi_sum(), nrcc_mpi_comm_world())
    }

    func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int) {
        guard values.count > 0 else { return }
        MPI_Bcast(values.baseAddress, Int32(values.count), nrcc_mpi_float(), Int32(root), nrcc_mpi_comm_world())
    }

    func abort(status: Int32) -> Never {
        MPI_Abort(nrcc_mpi_comm_world(), status)
        exit(status)
    }
}
#endif
