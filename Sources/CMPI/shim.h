// Open MPI's C interface (pkg-config "ompi-c" puts its include folder on the path), for the
// `MessagePassing` module, built only with the MPI trait.
#include <mpi.h>

// Open MPI's handles are macros over the addresses of its globals, which Swift cannot import
// as constants: these return them.
static inline MPI_Comm nrcc_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype nrcc_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype nrcc_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Op nrcc_mpi_sum(void) { return MPI_SUM; }
static inline void *nrcc_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *nrcc_mpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
