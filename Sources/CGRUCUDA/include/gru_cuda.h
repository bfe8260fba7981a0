#ifndef GRU_CUDA_H
#define GRU_CUDA_H

// The few CUDA runtime and cuDNN functions the GPU backend calls, bound at run time from
// libraries opened with dlopen: building needs no CUDA headers or libraries.
// Handles and descriptors are opaque pointers; enumerations are ints with cuDNN's values.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gru_cuda_api {
    // CUDA runtime (libcudart).
    int (*_Nonnull cudaGetDeviceCount)(int *_Nullable count);
    int (*_Nonnull cudaMalloc)(void *_Nullable *_Nullable pointer, size_t bytes);
    int (*_Nonnull cudaFree)(void *_Nullable pointer);
    int (*_Nonnull cudaMemcpy)(void *_Nullable destination, const void *_Nullable source, size_t bytes, int kind);
    int (*_Nonnull cudaMemset)(void *_Nullable pointer, int value, size_t bytes);
    int (*_Nonnull cudaDeviceSynchronize)(void);
    const char *_Nonnull (*_Nonnull cudaGetErrorString)(int error);
    int (*_Nonnull cudaRuntimeGetVersion)(int *_Nullable version);

    // cuDNN (libcudnn, version 8 or 9).
    size_t (*_Nonnull cudnnGetVersion)(void);
    const char *_Nonnull (*_Nonnull cudnnGetErrorString)(int status);
    int (*_Nonnull cudnnCreate)(void *_Nullable *_Nullable handle);
    int (*_Nonnull cudnnCreateTensorDescriptor)(void *_Nullable *_Nullable descriptor);
    int (*_Nonnull cudnnSetTensorNdDescriptor)(void *_Nullable descriptor, int dataType, int rank, const int *_Nullable dims, const int *_Nullable strides);
    int (*_Nonnull cudnnDestroyTensorDescriptor)(void *_Nullable descriptor);
    int (*_Nonnull cudnnCreateDropoutDescriptor)(void *_Nullable *_Nullable descriptor);
    int (*_Nonnull cudnnSetDropoutDescriptor)(void *_Nullable descriptor, void *_Nullable handle, float dropout, void *_Nullable states, size_t stateBytes,
                                     unsigned long long seed);
    int (*_Nonnull cudnnDestroyDropoutDescriptor)(void *_Nullable descriptor);
    int (*_Nonnull cudnnCreateRNNDescriptor)(void *_Nullable *_Nullable descriptor);
    int (*_Nonnull cudnnSetRNNDescriptor_v8)(void *_Nullable descriptor, int algo, int cellMode, int biasMode, int directionMode,
                                    int inputMode, int dataType, int mathPrecision, int mathType, int32_t inputSize,
                                    int32_t hiddenSize, int32_t projectionSize, int32_t layers, void *_Nullable dropout,
                                    uint32_t auxFlags);
    int (*_Nonnull cudnnDestroyRNNDescriptor)(void *_Nullable descriptor);
    int (*_Nonnull cudnnCreateRNNDataDescriptor)(void *_Nullable *_Nullable descriptor);
    int (*_Nonnull cudnnSetRNNDataDescriptor)(void *_Nullable descriptor, int dataType, int layout, int maxSequenceLength, int batch,
                                     int vectorSize, const int *_Nullable sequenceLengths, void *_Nullable paddingFill);
    int (*_Nonnull cudnnDestroyRNNDataDescriptor)(void *_Nullable descriptor);
    int (*_Nonnull cudnnGetRNNWeightSpaceSize)(void *_Nullable handle, void *_Nullable rnn, size_t *_Nullable bytes);
    int (*_Nonnull cudnnGetRNNTempSpaceSizes)(void *_Nullable handle, void *_Nullable rnn, int forwardMode, void *_Nullable xDescriptor, size_t *_Nullable workBytes,
                                     size_t *_Nullable reserveBytes);
    int (*_Nonnull cudnnGetRNNWeightParams)(void *_Nullable handle, void *_Nullable rnn, int32_t pseudoLayer, size_t weightBytes,
                                   const void *_Nullable weights, int32_t linearLayer, void *_Nullable matrixDescriptor,
                                   void *_Nullable *_Nullable matrix, void *_Nullable biasDescriptor, void *_Nullable *_Nullable bias);
    int (*_Nonnull cudnnRNNForward)(void *_Nullable handle, void *_Nullable rnn, int forwardMode, const int32_t *_Nullable deviceSequenceLengths,
                           void *_Nullable xDescriptor, const void *_Nullable x, void *_Nullable yDescriptor, void *_Nullable y, void *_Nullable hDescriptor,
                           const void *_Nullable hx, void *_Nullable hy, void *_Nullable cDescriptor, const void *_Nullable cx, void *_Nullable cy,
                           size_t weightBytes, const void *_Nullable weights, size_t workBytes, void *_Nullable work,
                           size_t reserveBytes, void *_Nullable reserve);
    int (*_Nonnull cudnnRNNBackwardData_v8)(void *_Nullable handle, void *_Nullable rnn, const int32_t *_Nullable deviceSequenceLengths,
                                   void *_Nullable yDescriptor, const void *_Nullable y, const void *_Nullable dy, void *_Nullable xDescriptor, void *_Nullable dx,
                                   void *_Nullable hDescriptor, const void *_Nullable hx, const void *_Nullable dhy, void *_Nullable dhx,
                                   void *_Nullable cDescriptor, const void *_Nullable cx, const void *_Nullable dcy, void *_Nullable dcx,
                                   size_t weightBytes, const void *_Nullable weights, size_t workBytes, void *_Nullable work,
                                   size_t reserveBytes, void *_Nullable reserve);
    int (*_Nonnull cudnnRNNBackwardWeights_v8)(void *_Nullable handle, void *_Nullable rnn, int addGradient,
                                      const int32_t *_Nullable deviceSequenceLengths, void *_Nullable xDescriptor, const void *_Nullable x,
                                      void *_Nullable hDescriptor, const void *_Nullable hx, void *_Nullable yDescriptor, const void *_Nullable y,
                                      size_t weightBytes, void *_Nullable dweights, size_t workBytes, void *_Nullable work,
                                      size_t reserveBytes, void *_Nullable reserve);
} gru_cuda_api;

/// Binds the table from the opened libraries into a new allocation stored in `*api` (free it
/// with free). Returns NULL when every function was found, else the name of the first one
/// missing; `*api` is then NULL.
const char *_Nullable gru_cuda_bind(void *_Nonnull cudart, void *_Nonnull cudnn, gru_cuda_api *_Nullable *_Nonnull api);

/// The GPU's name (empty when it cannot be read), written to `name` (at most `capacity` bytes).
void gru_cuda_device_name(void *_Nonnull cudart, char *_Nonnull name, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif
