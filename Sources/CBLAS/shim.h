// OpenBLAS's CBLAS interface. pkg-config "openblas" puts its include folder on the path.
#include <cblas.h>
// OpenBLAS extensions: thread count control (used by benchmarks and tests).
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
// The name of the kernel OpenBLAS chose for this CPU at load time (e.g. "Haswell").
char *openblas_get_corename(void);
