// MPI bound at run time with dlopen, so that building and single-process use need no MPI.
// Open MPI's handles are pointers to its predefined objects (resolved by name); MPICH's are
// integers fixed by its ABI. Only the calls data-parallel training needs are bound.
#include "gru_mpi.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef int (*init_fn)(int *, char ***);
typedef int (*flag_fn)(int *);
typedef int (*void_fn)(void);
// Open MPI: handles are pointers.
typedef int (*o_rank_fn)(void *, int *);
typedef int (*o_allreduce_fn)(const void *, void *, int, void *, void *, void *);
typedef int (*o_bcast_fn)(void *, int, void *, int, void *);
typedef int (*o_abort_fn)(void *, int);
// MPICH: handles are ints.
typedef int (*m_rank_fn)(int, int *);
typedef int (*m_allreduce_fn)(const void *, void *, int, int, int, int);
typedef int (*m_bcast_fn)(void *, int, int, int, int);
typedef int (*m_abort_fn)(int, int);

static void *library = NULL;
static int open_mpi = 0;
static init_fn mpi_init;
static flag_fn mpi_initialized, mpi_finalized;
static void_fn mpi_finalize;
static void *comm_rank, *comm_size, *allreduce, *bcast, *abort_job;
static void *o_comm_world, *o_double, *o_byte, *o_sum;
static int rank = 0, size = 1;

// MPICH's predefined handles.
#define MPICH_COMM_WORLD 0x44000000
#define MPICH_DOUBLE 0x4c00080b
#define MPICH_BYTE 0x4c00010d
#define MPICH_SUM 0x58000003
#define MPICH_IN_PLACE ((void *)-1)
#define OMPI_IN_PLACE ((void *)1)

static int fail(char *message, long capacity, const char *text, const char *detail) {
    if (message && capacity > 0) snprintf(message, (size_t)capacity, "%s%s%s", text, detail ? ": " : "", detail ? detail : "");
    return 0;
}

int gru_mpi_load(char *message, long capacity) {
    if (library) return 1;
    // GRU_MPI_LIBRARY, when set, is the only library tried.
    const char *chosen = getenv("GRU_MPI_LIBRARY");
    const char *names[] = {chosen, "libmpi.so.40", "libmpi.so.12", "libmpi.so", "libmpich.so.12"};
    size_t tried = chosen && chosen[0] ? 1 : sizeof names / sizeof names[0];
    const char *last = NULL, *opened = NULL;
    for (size_t i = 0; i < tried && !library; i++) {
        if (!names[i] || !names[i][0]) continue;
        // Global: Open MPI's components look up the library's symbols when they load.
        library = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
        if (!library) last = dlerror(); else opened = names[i];
    }
    if (!library) return fail(message, capacity, "no MPI library found (install Open MPI or MPICH, or name it in GRU_MPI_LIBRARY)", last);
    mpi_init = (init_fn)dlsym(library, "MPI_Init");
    mpi_initialized = (flag_fn)dlsym(library, "MPI_Initialized");
    mpi_finalized = (flag_fn)dlsym(library, "MPI_Finalized");
    mpi_finalize = (void_fn)dlsym(library, "MPI_Finalize");
    comm_rank = dlsym(library, "MPI_Comm_rank");
    comm_size = dlsym(library, "MPI_Comm_size");
    allreduce = dlsym(library, "MPI_Allreduce");
    bcast = dlsym(library, "MPI_Bcast");
    abort_job = dlsym(library, "MPI_Abort");
    o_comm_world = dlsym(library, "ompi_mpi_comm_world");
    open_mpi = o_comm_world != NULL;
    if (open_mpi) {
        o_double = dlsym(library, "ompi_mpi_double");
        o_byte = dlsym(library, "ompi_mpi_byte");
        o_sum = dlsym(library, "ompi_mpi_op_sum");
    }
    const char *missing = !mpi_init ? "MPI_Init" : !mpi_initialized ? "MPI_Initialized" : !mpi_finalized ? "MPI_Finalized"
        : !mpi_finalize ? "MPI_Finalize" : !comm_rank ? "MPI_Comm_rank" : !comm_size ? "MPI_Comm_size" : !allreduce ? "MPI_Allreduce"
        : !bcast ? "MPI_Bcast" : !abort_job ? "MPI_Abort" : open_mpi && !o_double ? "ompi_mpi_double" : open_mpi && !o_byte ? "ompi_mpi_byte"
        : open_mpi && !o_sum ? "ompi_mpi_op_sum" : NULL;
    if (missing) {
        dlclose(library);
        library = NULL;
        char detail[256];
        snprintf(detail, sizeof detail, "%s has no %s", opened ? opened : "it", missing);
        return fail(message, capacity, "the library is not an MPI library data-parallel training can use", detail);
    }
    return 1;
}

int gru_mpi_init(char *message, long capacity) {
    if (!gru_mpi_load(message, capacity)) return 0;
    int initialized = 0;
    mpi_initialized(&initialized);
    if (!initialized && mpi_init(NULL, NULL) != 0) return fail(message, capacity, "MPI_Init failed", NULL);
    if (open_mpi) {
        ((o_rank_fn)comm_rank)(o_comm_world, &rank);
        ((o_rank_fn)comm_size)(o_comm_world, &size);
    } else {
        ((m_rank_fn)comm_rank)(MPICH_COMM_WORLD, &rank);
        ((m_rank_fn)comm_size)(MPICH_COMM_WORLD, &size);
    }
    return 1;
}

int gru_mpi_rank(void) { return rank; }
int gru_mpi_size(void) { return size; }

int gru_mpi_sum_doubles(double *values, long count) {
    if (!library) return 0;
    const long piece = 1L << 30;
    for (long start = 0; start < count; start += piece) {
        int n = (int)(count - start < piece ? count - start : piece);
        int status = open_mpi
            ? ((o_allreduce_fn)allreduce)(OMPI_IN_PLACE, values + start, n, o_double, o_sum, o_comm_world)
            : ((m_allreduce_fn)allreduce)(MPICH_IN_PLACE, values + start, n, MPICH_DOUBLE, MPICH_SUM, MPICH_COMM_WORLD);
        if (status != 0) return 0;
    }
    return 1;
}

int gru_mpi_broadcast_bytes(void *buffer, long count, int root) {
    if (!library) return 0;
    const long piece = 1L << 30;
    for (long start = 0; start < count; start += piece) {
        int n = (int)(count - start < piece ? count - start : piece);
        char *at = (char *)buffer + start;
        int status = open_mpi ? ((o_bcast_fn)bcast)(at, n, o_byte, root, o_comm_world)
                              : ((m_bcast_fn)bcast)(at, n, MPICH_BYTE, root, MPICH_COMM_WORLD);
        if (status != 0) return 0;
    }
    return 1;
}

void gru_mpi_finalize(void) {
    if (!library) return;
    int finalized = 0, initialized = 0;
    mpi_initialized(&initialized);
    mpi_finalized(&finalized);
    if (initialized && !finalized) mpi_finalize();
}

_Noreturn void gru_mpi_abort(int code) {
    if (!library) exit(code);
    if (open_mpi) ((o_abort_fn)abort_job)(o_comm_world, code);
    else ((m_abort_fn)abort_job)(MPICH_COMM_WORLD, code);
    exit(code);
}
