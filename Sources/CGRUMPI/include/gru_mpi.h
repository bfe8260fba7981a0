#ifndef GRU_MPI_H
#define GRU_MPI_H

#ifdef __cplusplus
extern "C" {
#endif

/// Loads the MPI library at run time (GRU_MPI_LIBRARY alone when it is set, else Open MPI's
/// libmpi.so.40, MPICH's libmpi.so.12, libmpi.so) and resolves the few functions used. Returns 1, or 0 with a
/// message in `message` (`capacity` bytes).
int gru_mpi_load(char *message, long capacity);

/// MPI_Init unless MPI is already initialized. Returns 1, or 0 (message as gru_mpi_load).
int gru_mpi_init(char *message, long capacity);

/// This process's rank and the number of processes in MPI_COMM_WORLD.
int gru_mpi_rank(void);
int gru_mpi_size(void);

/// Sums `count` doubles over all processes, in place (MPI_Allreduce, MPI_IN_PLACE, MPI_SUM),
/// in pieces of at most 2^30 values. Returns 1 on success.
int gru_mpi_sum_doubles(double *values, long count);

/// Broadcasts `count` bytes from `root`'s buffer into every process's. Returns 1 on success.
int gru_mpi_broadcast_bytes(void *buffer, long count, int root);

/// MPI_Finalize, once.
void gru_mpi_finalize(void);

/// MPI_Abort on MPI_COMM_WORLD: ends every process of the job.
_Noreturn void gru_mpi_abort(int code);

#ifdef __cplusplus
}
#endif

#endif
