#include "gru_cuda.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#define BIND(library, field)                                                  \
    do {                                                                      \
        void *symbol = dlsym(library, #field);                                \
        if (symbol == NULL) {                                                 \
            free(api);                                                        \
            return #field;                                                    \
        }                                                                     \
        memcpy((void *)&api->field, &symbol, sizeof symbol);                  \
    } while (0)

const char *gru_cuda_bind(void *cudart, void *cudnn, gru_cuda_api **table) {
    *table = NULL;
    gru_cuda_api *api = calloc(1, sizeof *api);
    if (api == NULL) return "memory for the function table";
    BIND(cudart, cudaGetDeviceCount);
    BIND(cudart, cudaMalloc);
    BIND(cudart, cudaFree);
    BIND(cudart, cudaMemcpy);
    BIND(cudart, cudaMemset);
    BIND(cudart, cudaDeviceSynchronize);
    BIND(cudart, cudaGetErrorString);
    BIND(cudart, cudaRuntimeGetVersion);
    BIND(cudnn, cudnnGetVersion);
    BIND(cudnn, cudnnGetErrorString);
    BIND(cudnn, cudnnCreate);
    BIND(cudnn, cudnnCreateTensorDescriptor);
    BIND(cudnn, cudnnSetTensorNdDescriptor);
    BIND(cudnn, cudnnDestroyTensorDescriptor);
    BIND(cudnn, cudnnCreateDropoutDescriptor);
    BIND(cudnn, cudnnSetDropoutDescriptor);
    BIND(cudnn, cudnnDestroyDropoutDescriptor);
    BIND(cudnn, cudnnCreateRNNDescriptor);
    BIND(cudnn, cudnnSetRNNDescriptor_v8);
    BIND(cudnn, cudnnDestroyRNNDescriptor);
    BIND(cudnn, cudnnCreateRNNDataDescriptor);
    BIND(cudnn, cudnnSetRNNDataDescriptor);
    BIND(cudnn, cudnnDestroyRNNDataDescriptor);
    BIND(cudnn, cudnnGetRNNWeightSpaceSize);
    BIND(cudnn, cudnnGetRNNTempSpaceSizes);
    BIND(cudnn, cudnnGetRNNWeightParams);
    BIND(cudnn, cudnnRNNForward);
    BIND(cudnn, cudnnRNNBackwardData_v8);
    BIND(cudnn, cudnnRNNBackwardWeights_v8);
    *table = api;
    return NULL;
}

void gru_cuda_device_name(void *cudart, char *name, size_t capacity) {
    if (capacity == 0) return;
    name[0] = 0;
    // cudaDeviceProp begins with `char name[256]`; the rest of the struct differs between
    // CUDA versions, so it is given far more room than any version uses.
    int (*properties)(void *, int) = NULL;
    *(void **)(&properties) = dlsym(cudart, "cudaGetDeviceProperties_v2");
    if (properties == NULL) *(void **)(&properties) = dlsym(cudart, "cudaGetDeviceProperties");
    if (properties == NULL) return;
    char *buffer = calloc(1, 1 << 16);
    if (buffer == NULL) return;
    if (properties(buffer, 0) == 0) {
        buffer[255] = 0;
        strncpy(name, buffer, capacity - 1);
        name[capacity - 1] = 0;
    }
    free(buffer);
}
